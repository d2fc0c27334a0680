import assert from "node:assert/strict";
import { classLabels, classProbabilities, overrideLimit, Tensor } from "../../../core/mod.ts";
import { seededRandom, setupGpu } from "../../helpers.ts";

await setupGpu();

/** Random logits (3, 5, 7, K) and their float64 softmax / sigmoid reference. */
function logitsOf(classes: number, seed: number) {
  const random = seededRandom(seed);
  const shape = [3, 5, 7, classes];
  const values = Float32Array.from({ length: 105 * classes }, () => random() * 8 - 4);
  const probabilities: number[] = [];
  const labels: number[] = [];
  for (let v = 0; v < 105; v++) {
    const row = Array.from(values.subarray(v * classes, (v + 1) * classes), Number);
    if (classes === 1) {
      const p = 1 / (1 + Math.exp(-row[0]));
      probabilities.push(1 - p, p);
      labels.push(row[0] > 0 ? 1 : 0);
    } else {
      const top = Math.max(...row);
      const exps = row.map((x) => Math.exp(x - top));
      const total = exps.reduce((a, b) => a + b, 0);
      probabilities.push(...exps.map((e) => e / total));
      labels.push(row.indexOf(top));
    }
  }
  return { tensor: Tensor.from(values, shape), probabilities, labels };
}

for (const classes of [1, 2, 3]) {
  Deno.test(`class outputs from ${classes}-channel logits match float64 (whole and in slabs)`, async () => {
    const { tensor, probabilities, labels } = logitsOf(classes, 40 + classes);
    for (const limit of [undefined, 1024]) {
      overrideLimit("maxStorageBufferBindingSize", limit);
      try {
        const p = classProbabilities(tensor);
        assert.deepEqual(p.shape, [3, 5, 7, Math.max(2, classes)]);
        const got = await p.read();
        got.forEach((value, i) => assert.ok(Math.abs(value - probabilities[i]) < 1e-6, `${i}`));
        const l = classLabels(tensor);
        assert.deepEqual(l.shape, [3, 5, 7]);
        assert.deepEqual(Array.from(await l.read()), labels);
        p.dispose();
        l.dispose();
      } finally {
        overrideLimit("maxStorageBufferBindingSize", undefined);
      }
    }
    tensor.dispose();
  });
}
