import assert from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import { EMA, OptimizerConfigError } from "../../../core/optim/mod.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";
import { emaStepRef } from "../../reference/optim.ts";

await setupGpu();

function named(seed: number): { live: Map<string, Tensor>; host: Float64Array[] } {
  const host = [randomValues(19, seed), randomValues(6, seed + 1)];
  const live = new Map([
    ["block.weight", Tensor.from(host[0], [19]).keep()],
    ["block.bias", Tensor.from(host[1], [2, 3]).keep()],
  ]);
  return { live, host };
}

Deno.test("EMA follows d·s + (1 − d)·p with a warming-up decay", async () => {
  const before = memoryStats().liveBuffers;
  const { live, host } = named(1);
  const ema = new EMA(live, { decay: 0.5, warmup: true });
  const shadow = host.map((h) => Float64Array.from(h));
  const tensors = [...live.values()];
  for (let t = 0; t < 4; t++) {
    const d = Math.min(0.5, (1 + t) / (10 + t));
    assert.ok(Math.abs(ema.currentDecay() - d) < 1e-15);
    const next = tensors.map((p, i) => randomValues(p.size, 100 + t * 5 + i));
    tensors.forEach((p, i) => p.write(next[i]));
    ema.update();
    shadow.forEach((s, i) => emaStepRef(s, next[i], d));
  }
  assert.equal(ema.step, 4);
  const state = await ema.stateDict();
  assertClose(state.weights.get("block.weight")!.data as Float32Array, shadow[0], {
    rtol: 1e-5,
    atol: 1e-6,
    label: "shadow weight",
  });
  // swapIn puts the average into the live tensors; swapOut restores them.
  const liveBefore = await tensors[1].read();
  ema.swapIn();
  assertClose(await tensors[1].read(), shadow[1], { rtol: 1e-5, atol: 1e-6, label: "swapped" });
  assert.throws(() => ema.update(), OptimizerConfigError);
  ema.swapOut();
  assert.deepEqual(await tensors[1].read(), liveBefore);
  ema.dispose();
  for (const t of tensors) t.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("EMA without warm-up uses the decay; state dict restores the average", async () => {
  const { live } = named(7);
  const ema = new EMA(live, { decay: 0.9 });
  assert.equal(ema.currentDecay(), 0.9);
  for (const p of live.values()) p.write(new Float32Array(p.size).fill(1));
  ema.update();
  const saved = await ema.stateDict();
  const other = new EMA(named(9).live, { decay: 0.9 });
  other.loadStateDict(saved);
  assert.equal(other.step, 1);
  assert.deepEqual(
    await other.shadow.get("block.bias")!.read(),
    await ema.shadow.get("block.bias")!.read(),
  );
  const bad = { ...saved, weights: new Map(saved.weights) };
  bad.weights.set("extra", { dtype: "F32", shape: [1], data: new Float32Array(1) });
  assert.throws(() => other.loadStateDict(bad), /unknown "extra"/);
  assert.throws(() => new EMA(live, { decay: 2 }), /decay must be in/);
  // copyTo writes the average into another set of tensors
  const target = named(11).live;
  ema.copyTo(target);
  assert.deepEqual(
    await target.get("block.weight")!.read(),
    await ema.shadow.get("block.weight")!.read(),
  );
  assert.throws(() => ema.copyTo(new Map()), /the target has no "block.weight"/);
  for (const t of target.values()) t.dispose();
  ema.dispose();
  other.dispose();
});
