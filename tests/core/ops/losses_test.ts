import { ok, throws } from "node:assert/strict";
import { BindingLimitError, memoryStats, overrideLimit, Tensor } from "../../../core/mod.ts";
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
import type { Nd } from "../../reference/ndarray.ts";
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
  shape: number[] = LOGITS,
): Promise<void> {
  await checkOp({
    label,
    shapes: [shape],
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
  let seed = 40;
  for (const ignoreIndex of [undefined, IGNORE]) {
    const host = randomLabels(LOGITS.slice(0, -1), 3, 9, ignoreIndex);
    const labels = Tensor.from(host, LOGITS.slice(0, -1), "i32");
    const variants = [
      { batchDice: false },
      { batchDice: true },
      // A non-default smooth changes both the numerator and the denominator.
      { batchDice: false, smooth: 1 },
    ];
    for (const variant of variants) {
      const params = { ignoreIndex, weightCe: 0.7, weightDice: 1.3, ...variant };
      await checkLoss(
        `dice+CE ${JSON.stringify(params)}`,
        labels,
        (x) => diceCrossEntropyLoss(x, labels, params),
        ([x]) => R.diceCe(x, host, params),
        seed++,
      );
    }
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

/** Float64 (N, 3, K) sums [Σ p·t, Σ p, Σ t] of probabilities against a label map. */
function referenceStatistics(probs: Nd, labels: Int32Array, ignoreIndex?: number): Nd {
  const [n] = probs.shape;
  const k = probs.shape[probs.shape.length - 1];
  const voxels = labels.length / n;
  const data = new Float64Array(n * 3 * k);
  for (let v = 0; v < labels.length; v++) {
    if (labels[v] === ignoreIndex) continue;
    const at = Math.floor(v / voxels) * 3 * k;
    for (let j = 0; j < k; j++) {
      const p = probs.data[v * k + j];
      const t = labels[v] === j ? 1 : 0;
      data[at + j] += p * t;
      data[at + k + j] += p;
      data[at + 2 * k + j] += t;
    }
  }
  return { shape: [n, 3, k], data };
}

// 4 KiB bindings (1024 floats). Unsplit, every case below throws BindingLimitError, so
// passing means the split paths ran: cross-entropy in slabs of voxels, Dice statistics in
// slabs of samples ([2, 5, 6, 7, 3]: 630 floats a sample) or of one sample's voxels
// ([2, 9, 8, 7, 3]: 1512 floats a sample); [2, 9, 8, 9, 3] also has labels over the limit.
const SPLIT_LIMIT = 4096;
const SAMPLE_SPLIT = [2, 5, 6, 7, 3];
const VOXEL_SPLIT = [2, 9, 8, 7, 3];
const LABEL_SPLIT = [2, 9, 8, 9, 3];

/** Runs `body` with the storage binding limit lowered to {@link SPLIT_LIMIT}. */
async function underSplitLimit(body: () => Promise<void>): Promise<void> {
  overrideLimit("maxStorageBufferBindingSize", SPLIT_LIMIT);
  try {
    await body();
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
}

Deno.test("softmaxCrossEntropy split under a small binding limit vs float64 with gradients", async () => {
  await underSplitLimit(async () => {
    let seed = 70;
    for (const shape of [SAMPLE_SPLIT, LABEL_SPLIT]) {
      const host = randomLabels(shape.slice(0, -1), 3, 71, IGNORE);
      const labels = Tensor.from(host, shape.slice(0, -1), "i32");
      for (const reduction of ["mean", "sum", "none"] as const) {
        await checkLoss(
          `split CE ${reduction} [${shape}]`,
          labels,
          (x) => softmaxCrossEntropy(x, labels, { ignoreIndex: IGNORE, reduction }),
          ([x]) => R.crossEntropy(x, host, IGNORE, reduction),
          seed++,
          shape,
        );
      }
      labels.dispose();
    }
  });
});

Deno.test("Dice, Dice + CE and Dice + BCE split under a small binding limit vs float64 with gradients", async () => {
  await underSplitLimit(async () => {
    let seed = 80;
    for (const shape of [SAMPLE_SPLIT, VOXEL_SPLIT]) {
      const host = randomLabels(shape.slice(0, -1), 3, 81, IGNORE);
      const labels = Tensor.from(host, shape.slice(0, -1), "i32");
      for (const batchDice of [false, true]) {
        const params = { batchDice, ignoreIndex: IGNORE, weightCe: 0.7, smooth: 0.5 };
        await checkLoss(
          `split dice [${shape}] ${JSON.stringify(params)}`,
          labels,
          (x) => softDiceLoss(x, labels, params),
          ([x]) => R.softDice(x, host, params),
          seed++,
          shape,
        );
        await checkLoss(
          `split dice+CE [${shape}] ${JSON.stringify(params)}`,
          labels,
          (x) => diceCrossEntropyLoss(x, labels, params),
          ([x]) => R.diceCe(x, host, params),
          seed++,
          shape,
        );
      }
      labels.dispose();
      const random = seededRandom(82);
      const binary = Int32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => random() < 0.3 ? 1 : 0,
      );
      const targets = Tensor.from(binary, shape, "f32");
      for (const batchDice of [false, true]) {
        const params = { batchDice, weightBce: 0.5, weightDice: 2 };
        await checkLoss(
          `split dice+BCE [${shape}] batch ${batchDice}`,
          targets,
          (x) => diceBceLoss(x, targets, params),
          ([x]) => R.diceBce(x, binary, params),
          seed++,
          shape,
        );
      }
      targets.dispose();
    }
  });
});

Deno.test("diceStatistics split with labels over the binding limit vs float64 with gradients", async () => {
  const host = randomLabels(LABEL_SPLIT.slice(0, -1), 3, 91, IGNORE);
  const labels = Tensor.from(host, LABEL_SPLIT.slice(0, -1), "i32");
  await underSplitLimit(async () => {
    for (const ignoreIndex of [undefined, IGNORE]) {
      await checkOp({
        label: `split diceStatistics ignore ${ignoreIndex}`,
        shapes: [LABEL_SPLIT],
        run: ([p]) => diceStatistics(p, labels, { ignoreIndex }),
        reference: ([p]) => referenceStatistics(p, host, ignoreIndex),
        low: 0,
        high: 1,
        seed: 92,
        rtol: 1e-5,
        atol: 1e-4,
      });
    }
  });
  labels.dispose();
});

Deno.test("split losses name the limit when one voxel's classes cannot fit", () => {
  // 1100 classes are 4400 bytes, over the 4 KiB limit.
  const logits = Tensor.from(new Float32Array(2 * 1100), [2, 1, 1, 1, 1100]);
  const labels = Tensor.from(new Int32Array(2), [2, 1, 1, 1], "i32");
  overrideLimit("maxStorageBufferBindingSize", SPLIT_LIMIT);
  try {
    const named = (pattern: RegExp) => (e: unknown) =>
      e instanceof BindingLimitError && pattern.test(e.message);
    throws(
      () => softmaxCrossEntropy(logits, labels),
      named(/^softmaxCrossEntropy: logits \[2,1,1,1,1100\] .*limit \(4096 bytes\)/),
    );
    throws(
      () => diceStatistics(logits, labels),
      named(/^diceStatistics: probabilities \[2,1,1,1,1100\] .*limit \(4096 bytes\)/),
    );
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  logits.dispose();
  labels.dispose();
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
