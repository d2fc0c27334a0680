import { ok, throws } from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import {
  diceBceLoss,
  diceCrossEntropyLoss,
  diceStatistics,
  LossArgumentError,
  sigmoidBceLoss,
  softDiceLoss,
  softmaxCrossEntropy,
} from "../../../core/ops/losses/mod.ts";
import * as R from "../../reference/losses.ts";
import { checkOp, type OpCase } from "../op_check.ts";
import { assertClose, seededRandom, setupGpu } from "../../helpers.ts";

await setupGpu();

const LOGITS = [2, 5, 6, 7, 3];
const IGNORE = 3;

/** Random labels in [0, classes), with about a tenth set to `ignore` when given. */
function randomLabels(shape: number[], classes: number, seed: number, ignore?: number): Int32Array {
  const random = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Int32Array.from({ length: n }, () => {
    if (ignore !== undefined && random() < 0.1) return ignore;
    return Math.floor(random() * classes);
  });
}

/** Checks a loss of the logits (labels closed over) against its float64 reference. */
async function checkLoss(
  label: string,
  target: Tensor,
  run: (logits: Tensor) => Tensor,
  reference: OpCase["reference"],
  seed: number,
): Promise<void> {
  await checkOp({
    label,
    shapes: [LOGITS],
    run: ([x]) => run(x),
    reference,
    low: -3,
    high: 3,
    seed,
    rtol: 1e-5,
    atol: 1e-5,
    gradRtol: 2e-3,
    gradAtol: 2e-6,
  });
  ok(!target.disposed);
}

Deno.test("softmaxCrossEntropy: reductions, with and without ignore, vs float64 with gradients", async () => {
  for (const ignoreIndex of [undefined, IGNORE]) {
    const host = randomLabels(LOGITS.slice(0, -1), 3, 7, ignoreIndex);
    const labels = Tensor.from(host, LOGITS.slice(0, -1), "i32");
    for (const [i, reduction] of (["mean", "sum", "none"] as const).entries()) {
      await checkLoss(
        `CE ${reduction} ignore ${ignoreIndex}`,
        labels,
        (x) => softmaxCrossEntropy(x, labels, { ignoreIndex, reduction }),
        ([x]) => R.crossEntropy(x, host, ignoreIndex, reduction),
        3 + i,
      );
    }
    labels.dispose();
  }
});

Deno.test("softDiceLoss: batchDice, background, ignore vs float64 with gradients", async () => {
  let seed = 20;
  for (const ignoreIndex of [undefined, IGNORE]) {
    const host = randomLabels(LOGITS.slice(0, -1), 3, 8, ignoreIndex);
    const labels = Tensor.from(host, LOGITS.slice(0, -1), "i32");
    for (const batchDice of [false, true]) {
      for (const includeBackground of [false, true]) {
        const params = { batchDice, includeBackground, ignoreIndex };
        await checkLoss(
          `dice ${JSON.stringify(params)}`,
          labels,
          (x) => softDiceLoss(x, labels, params),
          ([x]) => R.softDice(x, host, params),
          seed++,
        );
      }
    }
    labels.dispose();
  }
});

Deno.test("diceCrossEntropyLoss matches nnU-Net's DC_and_CE_loss with gradients", async () => {
  for (const ignoreIndex of [undefined, IGNORE]) {
    const host = randomLabels(LOGITS.slice(0, -1), 3, 9, ignoreIndex);
    const labels = Tensor.from(host, LOGITS.slice(0, -1), "i32");
    const params = { ignoreIndex, weightCe: 0.7, weightDice: 1.3, batchDice: true };
    await checkLoss(
      `dice+CE ignore ${ignoreIndex}`,
      labels,
      (x) => diceCrossEntropyLoss(x, labels, params),
      ([x]) => R.diceCe(x, host, params),
      40,
    );
    labels.dispose();
  }
});

Deno.test("sigmoidBceLoss and diceBceLoss with f32 and i32 targets vs float64 with gradients", async () => {
  const random = seededRandom(11);
  const host = Int32Array.from(
    { length: LOGITS.reduce((a, b) => a * b, 1) },
    () => random() < 0.3 ? 1 : 0,
  );
  for (const dtype of ["f32", "i32"] as const) {
    const targets = Tensor.from(host, LOGITS, dtype);
    for (const [i, reduction] of (["mean", "sum", "none"] as const).entries()) {
      await checkLoss(
        `BCE ${reduction} ${dtype}`,
        targets,
        (x) => sigmoidBceLoss(x, targets, { reduction }),
        ([x]) => R.sigmoidBce(x, host, reduction),
        50 + i,
      );
    }
    for (const batchDice of [false, true]) {
      const params = { batchDice, weightBce: 0.5, weightDice: 2 };
      await checkLoss(
        `dice+BCE ${dtype} batch ${batchDice}`,
        targets,
        (x) => diceBceLoss(x, targets, params),
        ([x]) => R.diceBce(x, host, params),
        60,
      );
    }
    targets.dispose();
  }
});

Deno.test("diceStatistics sums a long volume in two stages", async () => {
  const before = memoryStats().liveBuffers;
  const shape = [1, 40, 40, 41, 2];
  const random = seededRandom(12);
  const n = shape.reduce((a, b) => a * b, 1);
  const probs = Float32Array.from({ length: n }, () => random());
  const labels = randomLabels(shape.slice(0, -1), 2, 13, 9);
  const p = Tensor.from(probs, shape);
  const t = Tensor.from(labels, shape.slice(0, -1), "i32");
  const stats = diceStatistics(p, t, { ignoreIndex: 9 });
  const expected = new Float64Array(6);
  for (let v = 0; v < labels.length; v++) {
    if (labels[v] === 9) continue;
    for (let k = 0; k < 2; k++) {
      expected[k] += labels[v] === k ? probs[v * 2 + k] : 0;
      expected[2 + k] += probs[v * 2 + k];
      expected[4 + k] += labels[v] === k ? 1 : 0;
    }
  }
  assertClose(await stats.read(), expected, { rtol: 1e-5, label: "diceStatistics" });
  for (const x of [p, t, stats]) x.dispose();
  ok(memoryStats().liveBuffers === before);
});

Deno.test("cross-entropy over only ignored voxels: NaN alone, 0 inside Dice + CE", async () => {
  const logits = Tensor.from([1, 2, 3, 4], [1, 1, 1, 2, 2]);
  const labels = Tensor.from([5, 5], [1, 1, 1, 2], "i32");
  const ce = softmaxCrossEntropy(logits, labels, { ignoreIndex: 5 });
  ok(Number.isNaN(await ce.item()));
  const both = diceCrossEntropyLoss(logits, labels, { ignoreIndex: 5, includeBackground: true });
  // Nothing counted: each class scores smooth / smooth = 1, so the loss is −1.
  assertClose([await both.item()], [-1], { label: "dice+CE all ignored" });
  for (const x of [logits, labels, ce, both]) x.dispose();
});

Deno.test("losses reject mismatched shapes and dtypes", () => {
  const logits = Tensor.from(new Float32Array(12), [1, 2, 2, 1, 3]);
  const labels = Tensor.from(new Int32Array(4), [1, 2, 2, 1], "i32");
  const wrong = Tensor.from(new Int32Array(3), [1, 3, 1, 1], "i32");
  const floats = Tensor.from(new Float32Array(4), [1, 2, 2, 1]);
  throws(() => softmaxCrossEntropy(logits, wrong), /labels \[1,3,1,1\]/);
  throws(() => softDiceLoss(logits, floats), LossArgumentError);
  throws(() => sigmoidBceLoss(logits, labels), /targets \[1,2,2,1\]/);
  throws(() => softmaxCrossEntropy(logits, labels, { reduction: "avg" as "mean" }), /reduction/);
  for (const x of [logits, labels, wrong, floats]) x.dispose();
});
