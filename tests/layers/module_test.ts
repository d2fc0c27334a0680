import assert from "node:assert/strict";
import { memoryStats, RandomGenerator, Tensor } from "../../core/mod.ts";
import type { HostTensor } from "../../core/serialize/host_tensor.ts";
import { Linear } from "../../layers/linear.ts";
import { ModuleList, Sequential } from "../../layers/containers.ts";
import { ReLU } from "../../layers/activation.ts";
import { BatchNorm } from "../../layers/normalization.ts";
import { Module, ModuleRegistrationError, StateDictError } from "../../layers/module.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

/** A tree shaped like nnU-Net's encoder: encoder.stages.i.convs.j.conv.weight. */
class Stage extends Module {
  readonly convs: ModuleList<ConvLike>;
  constructor(seed: number) {
    super();
    this.convs = this.registerModule(
      "convs",
      new ModuleList([new ConvLike(3, 4, seed), new ConvLike(4, 4, seed + 1)]),
    );
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const c of this.convs) y = c.forward(y);
    return y;
  }
}

class ConvLike extends Module {
  readonly conv: Linear;
  readonly norm: BatchNorm;
  constructor(inF: number, outF: number, seed: number) {
    super();
    const generator = new RandomGenerator(seed);
    this.conv = this.registerModule(
      "conv",
      new Linear({ inFeatures: inF, outFeatures: outF, generator }),
    );
    this.norm = this.registerModule("norm", new BatchNorm({ numFeatures: outF }));
  }
  forward(x: Tensor): Tensor {
    return this.norm.forward(this.conv.forward(x));
  }
}

class Net extends Module {
  readonly encoder: Module<[Tensor], Tensor>;
  readonly head: Sequential;
  constructor(seed: number) {
    super();
    const encoder = new (class Encoder extends Module {
      readonly stages = this.registerModule("stages", new ModuleList([new Stage(seed)]));
      forward(x: Tensor): Tensor {
        return this.stages.at(0)!.forward(x);
      }
    })();
    this.encoder = this.registerModule("encoder", encoder);
    this.head = this.registerModule(
      "head",
      new Sequential(
        new ReLU(),
        new Linear({ inFeatures: 4, outFeatures: 2, generator: new RandomGenerator(seed + 9) }),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(x));
  }
}

const EXPECTED_KEYS = [
  "encoder.stages.0.convs.0.conv.weight",
  "encoder.stages.0.convs.0.conv.bias",
  "encoder.stages.0.convs.0.norm.weight",
  "encoder.stages.0.convs.0.norm.bias",
  "encoder.stages.0.convs.0.norm.running_mean",
  "encoder.stages.0.convs.0.norm.running_var",
  "encoder.stages.0.convs.0.norm.num_batches_tracked",
  "encoder.stages.0.convs.1.conv.weight",
  "encoder.stages.0.convs.1.conv.bias",
  "encoder.stages.0.convs.1.norm.weight",
  "encoder.stages.0.convs.1.norm.bias",
  "encoder.stages.0.convs.1.norm.running_mean",
  "encoder.stages.0.convs.1.norm.running_var",
  "encoder.stages.0.convs.1.norm.num_batches_tracked",
  "head.1.weight",
  "head.1.bias",
];

Deno.test("Module names parameters and state like PyTorch", async () => {
  const net = new Net(1);
  const params = [...net.namedParameters().keys()];
  assert.deepEqual(params, EXPECTED_KEYS.filter((k) => !/running|num_batches/.test(k)));
  assert.equal(net.parameters().length, params.length);
  assert.ok(net.parameters().every((p) => p.requiresGrad && p.kept));
  assert.deepEqual([...net.namedBuffers().keys()], EXPECTED_KEYS.filter((k) => /running/.test(k)));
  const dict = await net.stateDict();
  assert.deepEqual([...dict.keys()], EXPECTED_KEYS);
  assert.deepEqual(dict.get("encoder.stages.0.convs.0.conv.weight")!.shape, [4, 3]);
  const tracked = dict.get("encoder.stages.0.convs.1.norm.num_batches_tracked")!;
  assert.equal(tracked.dtype, "I64");
  assert.deepEqual(tracked.shape, []);
  assert.equal(net.parameterCount(), (12 + 4 + 4 + 4) + (16 + 4 + 4 + 4) + (8 + 2));
  net.dispose();
});

Deno.test("train() and eval() reach every descendant", () => {
  const net = new Net(2);
  assert.equal(net.training, true);
  net.eval();
  for (const m of net.namedModules().values()) assert.equal(m.training, false);
  net.train();
  for (const m of net.namedModules().values()) assert.equal(m.training, true);
  assert.ok(net.namedModules().has("encoder.stages.0.convs.1.norm"));
  net.dispose();
});

Deno.test("stateDict round trip restores every value", async () => {
  const a = new Net(3);
  // change buffers and the batch counter too
  const x = Tensor.from([1, 2, 3, 4, 5, 7, 0, -1, 2], [3, 3]);
  a.encoder.forward(x).dispose();
  x.dispose();
  const saved = await a.stateDict();
  const b = new Net(4);
  const report = b.loadStateDict(saved);
  assert.deepEqual(report, { missing: [], unexpected: [], mismatched: [] });
  const again = await b.stateDict();
  for (const [k, v] of saved) assert.deepEqual(again.get(k), v, k);
  assert.equal(Number(again.get("encoder.stages.0.convs.0.norm.num_batches_tracked")!.data[0]), 1);
  a.dispose();
  b.dispose();
});

Deno.test("strict loading reports missing, unexpected and mis-shaped keys and changes nothing", async () => {
  const net = new Net(5);
  const saved = await net.stateDict();
  const other = new Net(6);
  const before = await other.stateDict();
  const bad = new Map<string, HostTensor>(saved);
  bad.delete("head.1.bias");
  bad.set("head.2.weight", { dtype: "F32", shape: [1], data: new Float32Array(1) });
  bad.set("head.1.weight", { dtype: "F32", shape: [4, 2], data: new Float32Array(8) });
  let error: unknown;
  try {
    other.loadStateDict(bad);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof StateDictError);
  const report = error.report;
  assert.deepEqual(report.missing, ["head.1.bias"]);
  assert.deepEqual(report.unexpected, ["head.2.weight"]);
  assert.deepEqual(report.mismatched, [{ key: "head.1.weight", expected: [2, 4], got: [4, 2] }]);
  assert.match(error.message, /missing keys: head\.1\.bias/);
  assert.match(error.message, /head\.1\.weight \(file \[4,2\], model \[2,4\]\)/);
  assert.deepEqual(await other.stateDict(), before);
  // non-strict loads what fits and returns the same report
  const loose = other.loadStateDict(bad, { strict: false });
  assert.deepEqual(loose, report);
  const after = await other.stateDict();
  assert.deepEqual(
    after.get("encoder.stages.0.convs.0.conv.weight"),
    saved.get("encoder.stages.0.convs.0.conv.weight"),
  );
  assert.deepEqual(after.get("head.1.weight"), before.get("head.1.weight"));
  net.dispose();
  other.dispose();
});

Deno.test("loadStateDict converts F64 and F16 values", async () => {
  const layer = new Linear({ inFeatures: 2, outFeatures: 1 });
  layer.loadStateDict(
    new Map<string, HostTensor>([
      ["weight", { dtype: "F64", shape: [1, 2], data: new Float64Array([0.5, -2]) }],
      ["bias", { dtype: "F16", shape: [1], data: new Uint16Array([0x3c00]) }],
    ]),
  );
  assert.deepEqual([...await layer.weight.read()], [0.5, -2]);
  assert.deepEqual([...await layer.bias!.read()], [1]);
  layer.dispose();
});

Deno.test("registration errors and dispose frees every buffer", () => {
  const before = memoryStats().liveBuffers;
  const net = new Net(7);
  net.dispose();
  assert.equal(memoryStats().liveBuffers, before);
  class Twice extends Module {
    constructor() {
      super();
      this.registerModule("a", new ReLU());
      this.registerModule("a", new ReLU());
    }
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  assert.throws(() => new Twice(), ModuleRegistrationError);
  class BadName extends Module {
    constructor() {
      super();
      this.registerModule("a.b", new ReLU());
    }
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  assert.throws(() => new BadName(), /invalid name "a\.b"/);
});
