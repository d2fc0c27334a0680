/**
 * From a segmentation network's logits (D, H, W, K) to labels or class probabilities. A
 * K-channel output is a softmax over classes; a single channel is a sigmoid for one
 * foreground class (trained with Dice + BCE), read as class 1 where its logit is positive.
 *
 * @module
 */

import { deviceLimit } from "../device.ts";
import { scope } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { argmaxLastAxis } from "./argmax.ts";
import { sub } from "./binary.ts";
import { gt } from "./compare.ts";
import { concat, reshape } from "./movement.ts";
import { inRowSlabs } from "./region_copy.ts";
import { softmax } from "./softmax.ts";
import { cast, sigmoid } from "./unary.ts";

/** Labels (D, H, W) i32 from logits (D, H, W, K): argmax, or logit > 0 for one channel. */
export function classLabels(logits: Tensor): Tensor {
  if (logits.shape.at(-1) !== 1) return argmaxLastAxis(logits);
  return scope(() => reshape(cast(gt(logits, 0), "i32"), logits.shape.slice(0, -1)));
}

/**
 * Class probabilities (D, H, W, K') from logits (D, H, W, K): the softmax over classes, or for
 * one sigmoid channel the pair (1 − σ, σ), so K' = 2. Voxels are independent, so logits
 * larger than one storage binding are done in slabs of whole voxels.
 */
export function classProbabilities(logits: Tensor): Tensor {
  const classes = logits.shape.at(-1)!;
  if (classes === 1) {
    return scope(() => {
      const foreground = sigmoid(logits);
      return concat([sub(1, foreground), foreground], logits.shape.length - 1);
    });
  }
  if (logits.size * 4 <= deviceLimit("maxStorageBufferBindingSize")) return softmax(logits, -1);
  const rows = reshape(logits, [logits.size / classes, classes]);
  const flat = inRowSlabs(rows, (slab) => softmax(slab, -1));
  const out = reshape(flat, logits.shape);
  rows.dispose();
  flat.dispose();
  return out;
}
