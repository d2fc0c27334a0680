import assert from "node:assert/strict";
import { memoryStats, RandomGenerator, Tensor } from "../../core/mod.ts";
import { ELU, GELU, LeakyReLU, PReLU, ReLU, Sigmoid, Tanh } from "../../layers/activation.ts";
import { Dropout } from "../../layers/dropout.ts";
import { Identity } from "../../layers/identity.ts";
import type { Module } from "../../layers/module.ts";
import { assertClose, randomPair, setupGpu } from "../helpers.ts";
import * as ref from "../reference/normalization.ts";

await setupGpu();

const CASES: Array<[string, () => Module, (x: number) => number]> = [
  ["ReLU", () => new ReLU(), (x) => Math.max(x, 0)],
  ["LeakyReLU", () => new LeakyReLU({ negativeSlope: 0.1 }), (x) => ref.leakyRelu(x, 0.1)],
  ["ELU", () => new ELU({ alpha: 0.7 }), (x) => ref.elu(x, 0.7)],
  ["GELU", () => new GELU(), (x) => ref.gelu(x)],
  ["GELU tanh", () => new GELU({ approximate: "tanh" }), (x) => ref.gelu(x, "tanh")],
  ["Sigmoid", () => new Sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
  ["Tanh", () => new Tanh(), Math.tanh],
  ["Identity", () => new Identity(), (x) => x],
];

Deno.test("activation modules match their float64 formulas", async () => {
  const before = memoryStats().liveBuffers;
  const { ref: x, gpu } = randomPair([3, 5, 7], 1, -3, 3);
  for (const [label, make, f] of CASES) {
    const layer = make();
    const y = layer.forward(gpu);
    assertClose(await y.read(), x.data.map(f), { rtol: 1e-5, atol: 1e-5, label });
    y.dispose();
    layer.dispose();
  }
  gpu.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("PReLU learns one slope per channel and saves it as weight", async () => {
  const { ref: x, gpu } = randomPair([2, 3, 4], 2);
  const layer = new PReLU({ numParameters: 4, init: 0.25 });
  layer.weight.write([0.1, 0.2, 0.3, 0.4]);
  const y = layer.forward(gpu);
  const w = { shape: [4], data: Float64Array.from([0.1, 0.2, 0.3, 0.4], Math.fround) };
  assertClose(await y.read(), ref.prelu(x, w).data, { rtol: 1e-5, atol: 1e-6, label: "prelu" });
  assert.deepEqual([...(await layer.stateDict()).keys()], ["weight"]);
  y.dispose();
  gpu.dispose();
  layer.dispose();
});

Deno.test("Dropout drops in training only, scaling survivors by 1/(1 − p)", async () => {
  const layer = new Dropout({ p: 0.25, generator: new RandomGenerator(3) });
  const x = Tensor.from(new Float32Array(4000).fill(1));
  const y = layer.forward(x);
  const values = await y.read();
  const kept = values.filter((v) => v !== 0);
  assert.ok(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6));
  const fraction = kept.length / values.length;
  assert.ok(Math.abs(fraction - 0.75) < 0.05, `kept ${fraction}`);
  layer.eval();
  const z = layer.forward(x);
  assert.deepEqual(await z.read(), await x.read());
  assert.throws(() => new Dropout({ p: 1.5 }), /p must be in \[0, 1\]/);
  for (const t of [x, y, z]) t.dispose();
});
