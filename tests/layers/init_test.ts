import assert from "node:assert/strict";
import { memoryStats, RandomGenerator, zeros } from "../../core/mod.ts";
import {
  constantInit,
  heInitialize,
  kaimingNormal,
  kaimingUniform,
  leakyReluGain,
  torchFans,
  xavierNormal,
  xavierUniform,
  zerosInit,
} from "../../layers/init.ts";
import { Sequential } from "../../layers/containers.ts";
import { Conv3d } from "../../layers/conv.ts";
import { Linear } from "../../layers/linear.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

function moments(values: ArrayLike<number>): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  }
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / values.length), maxAbs };
}

Deno.test("initialisers have the formula's spread and are reproducible by seed", async () => {
  const before = memoryStats().liveBuffers;
  const shape = [32, 16, 3, 3, 3]; // PyTorch layout O, I, k, k, k
  const fans = torchFans(shape);
  assert.deepEqual(fans, { fanIn: 16 * 27, fanOut: 32 * 27 });
  const w = zeros(shape);
  const n = w.size;
  const tolerance = 4 / Math.sqrt(n); // a few standard errors of the sample moments
  kaimingNormal(w, fans, { negativeSlope: 1e-2, generator: new RandomGenerator(1) });
  const he = moments(await w.read());
  const heStd = leakyReluGain(1e-2) / Math.sqrt(fans.fanIn);
  assert.ok(Math.abs(he.std / heStd - 1) < tolerance * 2, `He std ${he.std} vs ${heStd}`);
  assert.ok(Math.abs(he.mean) < heStd * tolerance);
  const first = await w.read();
  kaimingNormal(w, fans, { negativeSlope: 1e-2, generator: new RandomGenerator(1) });
  assert.deepEqual(await w.read(), first);

  kaimingUniform(w, fans, { mode: "fanOut", generator: new RandomGenerator(2) });
  const bound = Math.sqrt(2) * Math.sqrt(3 / fans.fanOut);
  const ku = moments(await w.read());
  assert.ok(ku.maxAbs <= bound && ku.maxAbs > bound * 0.99);
  assert.ok(Math.abs(ku.std / (bound / Math.sqrt(3)) - 1) < tolerance * 2);

  xavierUniform(w, fans, { generator: new RandomGenerator(3) });
  const xb = Math.sqrt(6 / (fans.fanIn + fans.fanOut));
  assert.ok(moments(await w.read()).maxAbs <= xb);
  xavierNormal(w, fans, { gain: 2, generator: new RandomGenerator(4) });
  const xs = 2 * Math.sqrt(2 / (fans.fanIn + fans.fanOut));
  assert.ok(Math.abs(moments(await w.read()).std / xs - 1) < tolerance * 2);

  constantInit(w, 0.5);
  assert.ok((await w.read()).every((v) => v === 0.5));
  zerosInit(w);
  assert.ok((await w.read()).every((v) => v === 0));
  w.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("heInitialize fills conv and linear weights (He, a = 1e-2) and zeroes biases", async () => {
  const net = new Sequential(
    new Conv3d({ inChannels: 4, outChannels: 8, kernelSize: 3 }),
    new Linear({ inFeatures: 8, outFeatures: 300 }),
  );
  heInitialize(net, { generator: new RandomGenerator(9) });
  for (const [name, p] of net.namedParameters()) {
    const values = await p.read();
    if (name.endsWith("bias")) assert.ok(values.every((v) => v === 0), name);
  }
  const linear = net.at(1) as Linear;
  const std = moments(await linear.weight.read()).std;
  const expected = leakyReluGain(1e-2) / Math.sqrt(8);
  assert.ok(Math.abs(std / expected - 1) < 0.1, `${std} vs ${expected}`);
  net.dispose();
});
