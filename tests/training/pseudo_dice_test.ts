import { strict as assert } from "node:assert";
import { memoryStats, Tensor } from "../../core/mod.ts";
import { PseudoDiceAccumulator } from "../../training/pseudo_dice.ts";
import { seededRandom, setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("pseudo-Dice counts match a host count over several batches, then reset", async () => {
  const start = memoryStats().liveBuffers;
  const classes = 3;
  const acc = new PseudoDiceAccumulator(classes);
  const random = seededRandom(5);
  const tp = [0, 0];
  const fp = [0, 0];
  const fn = [0, 0];
  for (let batch = 0; batch < 3; batch++) {
    const voxels = 2 * 3 * 4 * 5;
    const logits = Float32Array.from({ length: voxels * classes }, () => random());
    const labels = Int32Array.from({ length: voxels }, () => Math.floor(random() * classes));
    for (let v = 0; v < voxels; v++) {
      let p = 0;
      for (let c = 1; c < classes; c++) {
        if (logits[v * classes + c] > logits[v * classes + p]) p = c;
      }
      for (let c = 1; c < classes; c++) {
        if (p === c && labels[v] === c) tp[c - 1]++;
        else if (p === c) fp[c - 1]++;
        else if (labels[v] === c) fn[c - 1]++;
      }
    }
    const l = Tensor.from(logits, [2, 3, 4, 5, classes]);
    const y = Tensor.from(labels, [2, 3, 4, 5], "i32");
    acc.add(l, y);
    l.dispose();
    y.dispose();
  }
  const result = await acc.read();
  assert.deepEqual(result.tp, tp);
  assert.deepEqual(result.fp, fp);
  assert.deepEqual(result.fn, fn);
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(result.dice[c] - 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c])) < 1e-12);
  }
  const after = await acc.read();
  assert.deepEqual(after.tp, [0, 0]);
  assert.ok(Number.isNaN(after.dice[0]));
  acc.dispose();
  assert.equal(memoryStats().liveBuffers, start);
});

Deno.test("pseudo-Dice read carries an extra tensor in the same round trip", async () => {
  const acc = new PseudoDiceAccumulator(2);
  const logits = Tensor.from([0, 1, 1, 0, 0, 1, 1, 0], [1, 1, 2, 2, 2]);
  const labels = Tensor.from([1, 0, 1, 1], [1, 1, 2, 2], "i32");
  acc.add(logits, labels);
  const extra = Tensor.from([2.5, -1], [2]);
  const { dice, tp, fp, fn, extra: values } = await acc.read(extra);
  // Predicted [1, 0, 1, 0] against [1, 0, 1, 1]: TP 2, FP 0, FN 1.
  assert.deepEqual([tp[0], fp[0], fn[0]], [2, 0, 1]);
  assert.equal(dice[0], 4 / 5);
  assert.deepEqual(values, [2.5, -1]);
  assert.deepEqual((await acc.read()).extra, []);
  for (const t of [acc, logits, labels, extra]) t.dispose();
});
