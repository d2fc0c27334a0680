import { strict as assert } from "node:assert";
import { add, mean, mul, Tensor } from "../../core/mod.ts";
import {
  deepSupervisionLoss,
  deepSupervisionWeights,
  subsampleLabels,
} from "../../training/deep_supervision.ts";
import { assertClose, setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("deep-supervision weights follow nnU-Net: 1/2^i, last 0, sum 1", () => {
  const w = deepSupervisionWeights(4);
  assertClose(w, [4 / 7, 2 / 7, 1 / 7, 0], { atol: 1e-12 });
  assert.deepEqual(deepSupervisionWeights(1), [1]);
  assertClose(deepSupervisionWeights(2), [1, 0]);
  assert.throws(() => deepSupervisionWeights(0), /at least one/);
});

Deno.test("labels subsample by nearest picking to each output size", async () => {
  const values = Array.from({ length: 2 * 5 * 4 * 6 }, (_, i) => i % 7);
  const labels = Tensor.from(values, [2, 5, 4, 6], "i32");
  const small = subsampleLabels(labels, [3, 2, 3]);
  assert.deepEqual(small.shape, [2, 3, 2, 3]);
  const got = await small.read();
  let k = 0;
  for (let n = 0; n < 2; n++) {
    for (let z = 0; z < 5; z += 2) {
      for (let y = 0; y < 4; y += 2) {
        for (let x = 0; x < 6; x += 2) {
          assert.equal(got[k++], values[((n * 5 + z) * 4 + y) * 6 + x]);
        }
      }
    }
  }
  assert.throws(() => subsampleLabels(labels, [4, 2, 3]), /integer steps/);
});

Deno.test("the deep-supervision loss is the weighted sum of per-output losses", async () => {
  const labels = Tensor.from(
    Array.from({ length: 4 * 4 * 4 }, (_, i) => i % 2),
    [1, 4, 4, 4],
    "i32",
  );
  const full = Tensor.from(Array.from({ length: 64 * 2 }, (_, i) => (i % 5) / 5), [1, 4, 4, 4, 2]);
  const half = Tensor.from(Array.from({ length: 8 * 2 }, (_, i) => (i % 3) / 3), [1, 2, 2, 2, 2]);
  const quarter = Tensor.from([0.5, 0.25], [1, 1, 1, 1, 2]);
  // a toy loss that depends on the label size, to see that each output got its own labels
  const toy = (logits: Tensor, target: Tensor) =>
    add(mean(logits), mul(Tensor.from([target.size]), 1e-3));
  const loss = deepSupervisionLoss([full, half, quarter], labels, (l, t) => mean(toy(l, t)));
  const w = deepSupervisionWeights(3);
  const mFull = Array.from(await full.read()).reduce((a, b) => a + b, 0) / 128 + 0.064;
  const mHalf = Array.from(await half.read()).reduce((a, b) => a + b, 0) / 16 + 0.008;
  assertClose([await loss.item()], [w[0] * mFull + w[1] * mHalf], { rtol: 1e-5 });
});
