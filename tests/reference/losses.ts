/**
 * Float64 references of the segmentation losses, written from their definitions (nnU-Net's
 * tp/fp/fn form for Dice) over channels-last logits (N, …, K).
 */

import type { Nd } from "./ndarray.ts";

const scalar = (v: number): Nd => ({ shape: [], data: Float64Array.of(v) });

function softmaxRows(logits: Nd): Float64Array {
  const k = logits.shape[logits.shape.length - 1];
  const out = new Float64Array(logits.data.length);
  for (let r = 0; r < logits.data.length / k; r++) {
    let top = -Infinity;
    for (let j = 0; j < k; j++) top = Math.max(top, logits.data[r * k + j]);
    let total = 0;
    for (let j = 0; j < k; j++) total += out[r * k + j] = Math.exp(logits.data[r * k + j] - top);
    for (let j = 0; j < k; j++) out[r * k + j] /= total;
  }
  return out;
}

/** PyTorch's cross_entropy with the class axis last. */
export function crossEntropy(
  logits: Nd,
  labels: ArrayLike<number>,
  ignoreIndex: number | undefined,
  reduction: "mean" | "sum" | "none",
  allIgnoredIsZero = false,
): Nd {
  const k = logits.shape[logits.shape.length - 1];
  const losses = new Float64Array(labels.length);
  let counted = 0;
  for (let r = 0; r < labels.length; r++) {
    if (labels[r] === ignoreIndex) continue;
    let top = -Infinity;
    for (let j = 0; j < k; j++) top = Math.max(top, logits.data[r * k + j]);
    let total = 0;
    for (let j = 0; j < k; j++) total += Math.exp(logits.data[r * k + j] - top);
    losses[r] = top + Math.log(total) - logits.data[r * k + labels[r]];
    counted++;
  }
  if (reduction === "none") return { shape: logits.shape.slice(0, -1), data: losses };
  const sum = losses.reduce((a, b) => a + b, 0);
  if (reduction === "sum") return scalar(sum);
  return scalar(allIgnoredIsZero && counted === 0 ? 0 : sum / counted);
}

/** Per (sample, class) tp, fp, fn of probabilities against one-hot or binary targets. */
function tpFpFn(
  probs: Float64Array,
  shape: number[],
  target: (row: number, cls: number) => number,
  mask: (row: number) => number,
): { tp: number[][]; fp: number[][]; fn: number[][] } {
  const n = shape[0];
  const k = shape[shape.length - 1];
  const rows = probs.length / k / n;
  const zeros = () => Array.from({ length: n }, () => new Array<number>(k).fill(0));
  const tp = zeros();
  const fp = zeros();
  const fn = zeros();
  for (let b = 0; b < n; b++) {
    for (let r = b * rows; r < (b + 1) * rows; r++) {
      const m = mask(r);
      for (let j = 0; j < k; j++) {
        const p = probs[r * k + j];
        const t = target(r, j);
        tp[b][j] += p * t * m;
        fp[b][j] += p * (1 - t) * m;
        fn[b][j] += (1 - p) * t * m;
      }
    }
  }
  return { tp, fp, fn };
}

/** Dice options of the references. */
export interface DiceParams {
  smooth?: number;
  includeBackground?: boolean;
  batchDice?: boolean;
  ignoreIndex?: number;
}

function diceLoss(
  { tp, fp, fn }: { tp: number[][]; fp: number[][]; fn: number[][] },
  params: DiceParams,
  firstClass: number,
): number {
  const smooth = params.smooth ?? 1e-5;
  const sumBatch = (a: number[][]) => [a[0].map((_, j) => a.reduce((s, row) => s + row[j], 0))];
  const [t, f, m] = params.batchDice ? [sumBatch(tp), sumBatch(fp), sumBatch(fn)] : [tp, fp, fn];
  let total = 0;
  let count = 0;
  for (let b = 0; b < t.length; b++) {
    for (let j = firstClass; j < t[b].length; j++) {
      const denominator = Math.max(2 * t[b][j] + f[b][j] + m[b][j] + smooth, 1e-8);
      total += (2 * t[b][j] + smooth) / denominator;
      count++;
    }
  }
  return -total / count;
}

/** nnU-Net's SoftDiceLoss with softmax, a label map and an optional ignore label. */
export function softDice(logits: Nd, labels: ArrayLike<number>, params: DiceParams): Nd {
  const probs = softmaxRows(logits);
  const stats = tpFpFn(
    probs,
    logits.shape,
    (r, j) => (labels[r] === j ? 1 : 0),
    (r) => (labels[r] === params.ignoreIndex ? 0 : 1),
  );
  return scalar(diceLoss(stats, params, params.includeBackground ? 0 : 1));
}

/** nnU-Net's DC_and_CE_loss (CE is 0 when every voxel is ignored). */
export function diceCe(
  logits: Nd,
  labels: ArrayLike<number>,
  params: DiceParams & { weightCe?: number; weightDice?: number },
): Nd {
  const ce = crossEntropy(logits, labels, params.ignoreIndex, "mean", true).data[0];
  const dice = softDice(logits, labels, params).data[0];
  return scalar((params.weightCe ?? 1) * ce + (params.weightDice ?? 1) * dice);
}

/** PyTorch's binary_cross_entropy_with_logits. */
export function sigmoidBce(
  logits: Nd,
  targets: ArrayLike<number>,
  reduction: "mean" | "sum" | "none",
): Nd {
  const losses = logits.data.map((z, i) => {
    const p = 1 / (1 + Math.exp(-z));
    return -(targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p));
  });
  if (reduction === "none") return { shape: [...logits.shape], data: losses };
  const sum = losses.reduce((a, b) => a + b, 0);
  return scalar(reduction === "sum" ? sum : sum / losses.length);
}

/** nnU-Net's DC_and_BCE_loss: sigmoid Dice over every channel plus mean BCE. */
export function diceBce(
  logits: Nd,
  targets: ArrayLike<number>,
  params: { smooth?: number; batchDice?: boolean; weightBce?: number; weightDice?: number },
): Nd {
  const probs = logits.data.map((z) => 1 / (1 + Math.exp(-z)));
  const k = logits.shape[logits.shape.length - 1];
  const stats = tpFpFn(probs, logits.shape, (r, j) => targets[r * k + j], () => 1);
  const dice = diceLoss(stats, params, 0);
  const bce = sigmoidBce(logits, targets, "mean").data[0];
  return scalar((params.weightBce ?? 1) * bce + (params.weightDice ?? 1) * dice);
}
