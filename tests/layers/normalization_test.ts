import assert from "node:assert/strict";
import { memoryStats, Tensor } from "../../core/mod.ts";
import type { HostTensor } from "../../core/serialize/host_tensor.ts";
import { BatchNorm, GroupNorm, InstanceNorm, LayerNorm } from "../../layers/normalization.ts";
import { LayerArgumentError } from "../../layers/errors.ts";
import { assertClose, randomPair, randomValues, setupGpu } from "../helpers.ts";
import { nd } from "../reference/ndarray.ts";
import * as ref from "../reference/normalization.ts";

await setupGpu();

function f32(shape: number[], seed: number, low = -1, high = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "F32", shape, data: Float32Array.from(randomValues(n, seed, low, high)) };
}
const asNd = (h: HostTensor) => nd(h.data as Float32Array, h.shape);

Deno.test("InstanceNorm and GroupNorm layers match the float64 references", async () => {
  const before = memoryStats().liveBuffers;
  const { ref: x, gpu } = randomPair([2, 3, 2, 5, 6], 1);
  const w = f32([6], 2, 0.5, 1.5);
  const b = f32([6], 3);
  const inorm = new InstanceNorm({ numFeatures: 6, affine: true });
  inorm.loadStateDict(new Map([["weight", w], ["bias", b]]));
  const y1 = inorm.forward(gpu);
  assertClose(await y1.read(), ref.instanceNorm(x, asNd(w), asNd(b)).data, {
    rtol: 1e-4,
    atol: 1e-5,
    label: "instance",
  });
  const gnorm = new GroupNorm({ numGroups: 3, numChannels: 6, eps: 1e-3 });
  gnorm.loadStateDict(new Map([["weight", w], ["bias", b]]));
  const y2 = gnorm.forward(gpu);
  assertClose(await y2.read(), ref.groupNorm(x, 3, asNd(w), asNd(b), 1e-3).data, {
    rtol: 1e-4,
    atol: 1e-5,
    label: "group",
  });
  const plain = new InstanceNorm({ numFeatures: 6 });
  assert.equal(plain.parameters().length, 0);
  for (const t of [y1, y2, gpu]) t.dispose();
  for (const m of [inorm, gnorm, plain]) m.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("BatchNorm updates running statistics in training and uses them in eval", async () => {
  const { ref: x, gpu } = randomPair([3, 4, 5], 4);
  const bn = new BatchNorm({ numFeatures: 5, momentum: 0.2 });
  const w = f32([5], 5, 0.5, 1.5);
  const b = f32([5], 6);
  bn.loadStateDict(
    new Map([
      ["weight", w],
      ["bias", b],
      ["running_mean", f32([5], 7)],
      ["running_var", f32([5], 8, 0.5, 2)],
      ["num_batches_tracked", { dtype: "I64", shape: [], data: new BigInt64Array([3n]) }],
    ]),
  );
  const running = {
    mean: Float64Array.from(randomValues(5, 7)),
    variance: Float64Array.from(randomValues(5, 8, 0.5, 2)),
  };
  const trained = ref.batchNorm(x, running, asNd(w), asNd(b), { training: true, momentum: 0.2 });
  const y = bn.forward(gpu);
  assertClose(await y.read(), trained.y.data, { rtol: 1e-4, atol: 1e-5, label: "bn train" });
  const state = await bn.stateDict();
  assertClose(state.get("running_mean")!.data as Float32Array, trained.mean, {
    rtol: 1e-5,
    atol: 1e-6,
    label: "mean",
  });
  assertClose(state.get("running_var")!.data as Float32Array, trained.variance, {
    rtol: 1e-5,
    atol: 1e-6,
    label: "var",
  });
  assert.equal(state.get("num_batches_tracked")!.data[0], 4n);
  bn.eval();
  const evaluated = ref.batchNorm(x, trained, asNd(w), asNd(b), { training: false });
  const z = bn.forward(gpu);
  assertClose(await z.read(), evaluated.y.data, { rtol: 1e-4, atol: 1e-5, label: "bn eval" });
  assert.equal(bn.batchesTracked, 4);
  for (const t of [y, z, gpu]) t.dispose();
  bn.dispose();
});

Deno.test("LayerNorm matches the reference; bad arguments are named", async () => {
  const { ref: x, gpu } = randomPair([3, 2, 7], 9);
  const ln = new LayerNorm({ normalizedShape: 7 });
  const w = f32([7], 10);
  const b = f32([7], 11);
  ln.loadStateDict(new Map([["weight", w], ["bias", b]]));
  const y = ln.forward(gpu);
  assertClose(await y.read(), ref.layerNorm(x, 7, asNd(w), asNd(b)).data, {
    rtol: 1e-4,
    atol: 1e-5,
    label: "layer",
  });
  assert.throws(() => new GroupNorm({ numGroups: 4, numChannels: 6 }), /4 groups do not divide 6/);
  assert.throws(() => new BatchNorm({ numFeatures: 0 }), LayerArgumentError);
  const wrong = Tensor.from(new Float32Array(12), [2, 6]);
  const inorm = new InstanceNorm({ numFeatures: 4 });
  assert.throws(() => inorm.forward(wrong), /InstanceNorm\(4\) expects channels-last/);
  for (const t of [y, gpu, wrong]) t.dispose();
  ln.dispose();
  inorm.dispose();
});
