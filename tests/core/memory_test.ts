import { strict as assert } from "node:assert";
import {
  add,
  assign,
  getGpu,
  matmul,
  mean,
  memoryStats,
  mul,
  noGrad,
  queueStats,
  randNormal,
  relu,
  scope,
  sub,
  synchronize,
  Tensor,
  zeroGrad,
} from "../../core/mod.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("200 training iterations end with the live-buffer count where they started", async () => {
  await getGpu();
  const w1 = randNormal([8, 16], 0, 0.3).keep();
  const w2 = randNormal([16, 1], 0, 0.3).keep();
  for (const w of [w1, w2]) w.requiresGrad = true;
  const x = randNormal([32, 8]).keep();
  const y = scope(() => mean(x, 1, true)).keep();
  const start = memoryStats();
  let first = 0;
  let last = 0;
  for (let step = 0; step < 200; step++) {
    const loss = scope(() => {
      const h = relu(matmul(x, w1));
      const d = sub(matmul(h, w2), y);
      return mean(mul(d, d));
    });
    loss.backward();
    noGrad(() =>
      scope(() => {
        for (const w of [w1, w2]) {
          assign(w, sub(w, mul(w.grad!, 0.05)));
        }
      })
    );
    zeroGrad([w1, w2]);
    if (step === 0) first = await loss.item();
    if (step === 199) last = await loss.item();
    loss.dispose();
  }
  const end = memoryStats();
  assert.equal(end.liveBuffers, start.liveBuffers, "live buffers");
  assert.equal(end.liveBytes, start.liveBytes, "live bytes");
  assert.ok(end.createdBuffers - start.createdBuffers < 40, "the pool reuses buffers");
  assert.ok(last < first * 0.5, `loss fell from ${first} to ${last}`);
  assert.ok(queueStats().submits < 1000);
  for (const t of [w1, w2, x, y]) t.dispose();
});

Deno.test("a steady loop reuses its bind groups instead of creating one per dispatch", async () => {
  // Each bind group holds driver memory until garbage collection; a loop over pooled
  // buffers must reuse them. A host upload per step cycles through the pool's clean
  // buffers between submits, so the steps that bind it repeat with that period.
  const x = Tensor.from(new Float32Array(1000).fill(1), [10, 100]);
  const step = () => scope(() => mul(add(x, 1), 0.5)).keep();
  for (let i = 0; i < 20; i++) step().dispose();
  await synchronize();
  const before = queueStats();
  for (let i = 0; i < 200; i++) step().dispose();
  await synchronize();
  const after = queueStats();
  assert.equal(after.dispatches - before.dispatches, 400);
  assert.equal(after.bindGroups, before.bindGroups, "no new bind groups in a steady loop");
  x.dispose();
});
