/**
 * Softmax cross-entropy over the class axis of channels-last logits, fused: one kernel
 * computes log-softmax and the negative log-likelihood per voxel, one elementwise kernel
 * the gradient softmax − one-hot.
 *
 * Voxels are independent, so logits larger than one storage binding are processed in slabs
 * of whole voxels (forward and gradient); the per-voxel losses and validity flags are
 * gathered into whole tensors first, so the mean divides by the count over all slabs.
 *
 * @module
 */

import { noGrad, recordOp } from "../../autograd.ts";
import { dispatch } from "../../command_queue.ts";
import { deviceLimit, gpu } from "../../device.ts";
import { scope } from "../../scope.ts";
import { Tensor } from "../../tensor.ts";
import { foldGrid } from "../../../shaders/grid.ts";
import { crossEntropyKernel } from "../../../shaders/losses.ts";
import { contiguousStrides } from "../../../shaders/elementwise.ts";
import { literal } from "../../../shaders/wgsl.ts";
import { div } from "../binary.ts";
import { sum } from "../reduce.ts";
import { BindingLimitError, bindTensor, runElementwise } from "../run_kernel.ts";
import { copyElements } from "../region_copy.ts";
import { checkLabels } from "./check.ts";

/** How per-voxel losses are combined. */
export type LossReduction = "mean" | "sum" | "none";

/** Options of {@link softmaxCrossEntropy}. */
export interface CrossEntropyOptions {
  /** Voxels with this label add nothing to the loss or the mean's count. */
  ignoreIndex?: number;
  /** `mean` over non-ignored voxels (default), `sum`, or `none` (per voxel, 0 if ignored). */
  reduction?: LossReduction;
}

/** Per-voxel losses (differentiable w.r.t. the logits) and the number of counted voxels. */
export interface CrossEntropyTerms {
  /** Loss per voxel, shaped like the labels (0 at ignored voxels). */
  perVoxel: Tensor;
  /** Count of voxels not ignored, a scalar without gradient. */
  counted: Tensor;
}

/**
 * Per-voxel cross-entropy and the count of counted voxels; the building block of
 * {@link softmaxCrossEntropy} and the compound losses. Logits larger than one storage
 * binding are processed in slabs of whole voxels.
 */
export function crossEntropyTerms(
  logits: Tensor,
  labels: Tensor,
  ignoreIndex?: number,
): CrossEntropyTerms {
  gpu();
  checkLabels("softmaxCrossEntropy", logits, labels);
  const classes = logits.shape[logits.rank - 1];
  const perVoxel = new Tensor(labels.shape, "f32");
  const lse = new Tensor(labels.shape, "f32");
  const valid = new Tensor(labels.shape, "f32");
  const slabs = voxelSlabs(logits, labels.size);
  for (const [start, count] of slabs ?? [[0, labels.size]]) {
    if (count === 0) continue;
    // Unsplit, the whole tensors are bound; split, copies of the slab's voxels.
    const part = slabs ? rows(logits, start, count, classes) : logits;
    const truth = slabs ? rows(labels, start, count, 1) : labels;
    const outputs = slabs
      ? [0, 1, 2].map(() => new Tensor([count], "f32"))
      : [perVoxel, lse, valid];
    const { code, groups } = crossEntropyKernel({ voxels: count, classes, ignoreIndex });
    dispatch(code, [...outputs, part, truth].map(bindTensor), foldGrid(groups));
    if (slabs) {
      [perVoxel, lse, valid].forEach((whole, k) =>
        copyElements(outputs[k], 0, whole, start, count)
      );
      for (const t of [part, truth, ...outputs]) t.dispose();
    }
  }
  // Summed over the whole tensor: the count of every slab.
  const counted = noGrad(() => sum(valid));
  valid.dispose();
  recordOp(perVoxel, "softmaxCrossEntropy", [logits], (g) => {
    if (!slabs) return [crossEntropyGradient(logits, lse, labels, g, ignoreIndex)];
    const gx = new Tensor(logits.shape, "f32");
    for (const [start, count] of slabs) {
      const parts = [
        rows(logits, start, count, classes),
        rows(lse, start, count, 1),
        rows(labels, start, count, 1),
        rows(g, start, count, 1),
      ];
      const [z, l, y, gy] = parts;
      const part = crossEntropyGradient(z, l, y, gy, ignoreIndex);
      copyElements(part, 0, gx, start * classes, part.size);
      for (const t of [part, ...parts]) t.dispose();
    }
    return [gx];
  }, [logits, lse, labels]);
  lse.dispose();
  return { perVoxel, counted };
}

/**
 * The gradient g · (softmax(z) − onehot(label)) w.r.t. logits `z` (…, K), zero at ignored
 * voxels; `lse`, `labels` and `g` are per voxel.
 */
function crossEntropyGradient(
  logits: Tensor,
  lse: Tensor,
  labels: Tensor,
  g: Tensor,
  ignoreIndex: number | undefined,
): Tensor {
  const classes = logits.shape[logits.rank - 1];
  const spread = [...contiguousStrides(logits.shape.slice(0, -1)), 0];
  const onehot = `select(0.0, 1.0, i32(idx % ${classes}u) == v2)`;
  const value = `v3 * (exp(v0 - v1) - ${onehot})`;
  const expression = ignoreIndex === undefined
    ? value
    : `select(0.0, ${value}, v2 != ${literal(ignoreIndex, "i32")})`;
  return runElementwise(logits.shape, "f32", [
    { tensor: logits, strides: contiguousStrides(logits.shape), offset: 0 },
    { tensor: lse, strides: spread, offset: 0 },
    { tensor: labels, strides: spread, offset: 0 },
    { tensor: g, strides: spread, offset: 0 },
  ], expression);
}

/**
 * Slabs `[start, count]` of whole voxels whose logits fit one storage binding, or
 * undefined when the logits fit whole. Throws when one voxel's classes do not fit.
 */
function voxelSlabs(logits: Tensor, voxels: number): Array<[number, number]> | undefined {
  const limit = Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
  if (logits.size <= limit) return undefined;
  const classes = logits.shape[logits.rank - 1];
  const perSlab = Math.floor(limit / classes);
  if (perSlab < 1) {
    throw new BindingLimitError(
      `softmaxCrossEntropy: logits [${logits.shape}] exceed the storage binding limit ` +
        `(${limit * 4} bytes) and cannot be split: one voxel's ${classes} classes do not fit`,
    );
  }
  const slabs: Array<[number, number]> = [];
  for (let start = 0; start < voxels; start += perSlab) {
    slabs.push([start, Math.min(perSlab, voxels - start)]);
  }
  return slabs;
}

/** A new (count, width) tensor (or (count) when width is 1) of rows of `width` elements. */
function rows(source: Tensor, start: number, count: number, width: number): Tensor {
  const part = new Tensor(width === 1 ? [count] : [count, width], source.dtype);
  copyElements(source, start * width, part, 0, count * width);
  return part;
}

/**
 * Cross-entropy of softmax(logits) against integer labels, like PyTorch's
 * `cross_entropy` with the class axis last: logits (N, D, H, W, K) f32, labels
 * (N, D, H, W) i32. The mean is over non-ignored voxels (NaN when all are ignored, as in
 * PyTorch). Labels outside [0, K) other than `ignoreIndex` give NaN.
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropy } from "./cross_entropy.ts";
 * import { Tensor } from "../../tensor.ts";
 * import { getGpu } from "../../device.ts";
 * await getGpu();
 * const logits = Tensor.from([2, 0, 0, 1, 0.5, 0.5], [1, 1, 1, 2, 3]);
 * const labels = Tensor.from([0, 255], [1, 1, 1, 2], "i32");
 * const loss = softmaxCrossEntropy(logits, labels, { ignoreIndex: 255 });
 * ```
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  labels: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const reduction = options.reduction ?? "mean";
  if (!["mean", "sum", "none"].includes(reduction)) {
    throw new RangeError(`softmaxCrossEntropy: unknown reduction '${reduction}'`);
  }
  return scope(() => {
    const { perVoxel, counted } = crossEntropyTerms(logits, labels, options.ignoreIndex);
    if (reduction === "none") return perVoxel;
    const total = sum(perVoxel);
    return reduction === "sum" ? total : div(total, counted);
  });
}
