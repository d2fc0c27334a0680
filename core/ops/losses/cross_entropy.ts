/**
 * Softmax cross-entropy over the class axis of channels-last logits, fused: one kernel
 * computes log-softmax and the negative log-likelihood per voxel, one elementwise kernel
 * the gradient softmax − one-hot.
 *
 * @module
 */

import { noGrad, recordOp } from "../../autograd.ts";
import { dispatch } from "../../command_queue.ts";
import { gpu } from "../../device.ts";
import { scope } from "../../scope.ts";
import { Tensor } from "../../tensor.ts";
import { foldGrid } from "../../../shaders/grid.ts";
import { crossEntropyKernel } from "../../../shaders/losses.ts";
import { contiguousStrides } from "../../../shaders/elementwise.ts";
import { literal } from "../../../shaders/wgsl.ts";
import { div } from "../binary.ts";
import { sum } from "../reduce.ts";
import { bindTensor, runElementwise } from "../run_kernel.ts";
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
 * {@link softmaxCrossEntropy} and the compound losses.
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
  if (labels.size > 0) {
    const { code, groups } = crossEntropyKernel({ voxels: labels.size, classes, ignoreIndex });
    dispatch(code, [perVoxel, lse, valid, logits, labels].map(bindTensor), foldGrid(groups));
  }
  const counted = noGrad(() => sum(valid));
  valid.dispose();
  recordOp(perVoxel, "softmaxCrossEntropy", [logits], (g) => {
    // d/dz = g · (softmax(z) − onehot(label)), zero at ignored voxels.
    const spread = [...contiguousStrides(labels.shape), 0];
    const onehot = `select(0.0, 1.0, i32(idx % ${classes}u) == v2)`;
    const value = `v3 * (exp(v0 - v1) - ${onehot})`;
    const expression = ignoreIndex === undefined
      ? value
      : `select(0.0, ${value}, v2 != ${literal(ignoreIndex, "i32")})`;
    return [runElementwise(logits.shape, "f32", [
      { tensor: logits, strides: contiguousStrides(logits.shape), offset: 0 },
      { tensor: lse, strides: spread, offset: 0 },
      { tensor: labels, strides: spread, offset: 0 },
      { tensor: g, strides: spread, offset: 0 },
    ], expression)];
  }, [logits, lse, labels]);
  lse.dispose();
  return { perVoxel, counted };
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
