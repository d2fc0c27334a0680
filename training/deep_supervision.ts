/**
 * Deep supervision: the network returns one output per decoder stage (highest resolution
 * first); each is compared with the label subsampled to its size, and the losses are
 * mixed with weights 1/2^i, the lowest resolution weighted 0, normalised to sum to 1
 * (nnU-Net's scheme).
 *
 * @module
 */

import { add, mul, slice, type Tensor } from "../core/mod.ts";

/**
 * nnU-Net's deep-supervision weights for `outputs` outputs: 1, 1/2, 1/4, … with the last
 * (lowest resolution) set to 0, normalised to sum to 1. One output gets weight 1.
 *
 * @example
 * ```ts
 * import { deepSupervisionWeights } from "./deep_supervision.ts";
 * deepSupervisionWeights(4); // [4/7, 2/7, 1/7, 0]
 * ```
 */
export function deepSupervisionWeights(outputs: number): number[] {
  if (!Number.isInteger(outputs) || outputs < 1) {
    throw new RangeError(`deep supervision needs at least one output, got ${outputs}`);
  }
  if (outputs === 1) return [1];
  const raw = Array.from({ length: outputs }, (_, i) => (i === outputs - 1 ? 0 : 1 / 2 ** i));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/**
 * Subsamples a label map (N, D, H, W) to a spatial size by nearest-neighbour picking of
 * every k-th voxel — what a stride-k path through the network sees. The size must be
 * reachable with integer steps (ceil(size / step) = target); otherwise this throws.
 */
export function subsampleLabels(labels: Tensor, size: readonly number[]): Tensor {
  const spatial = labels.shape.slice(1);
  if (spatial.join() === size.join()) return labels;
  const ranges = spatial.map((extent, a) => {
    const step = Math.round(extent / size[a]);
    if (step < 1 || Math.ceil(extent / step) !== size[a]) {
      throw new RangeError(
        `cannot subsample labels [${labels.shape}] to spatial [${size}] with integer steps`,
      );
    }
    return { start: 0, step };
  });
  return slice(labels, [undefined, ...ranges]);
}

/**
 * Weighted sum of `loss(output_i, labels_i)` over deep-supervision outputs; outputs with
 * weight 0 are skipped (no work, no gradient).
 */
export function deepSupervisionLoss(
  outputs: readonly Tensor[],
  labels: Tensor,
  loss: (logits: Tensor, labels: Tensor) => Tensor,
  weights: readonly number[] = deepSupervisionWeights(outputs.length),
): Tensor {
  if (weights.length !== outputs.length) {
    throw new RangeError(`${outputs.length} outputs but ${weights.length} weights`);
  }
  let total: Tensor | undefined;
  outputs.forEach((output, i) => {
    if (weights[i] === 0) return;
    const target = subsampleLabels(labels, output.shape.slice(1, -1));
    const term = mul(loss(output, target), weights[i]);
    total = total ? add(total, term) : term;
  });
  if (!total) throw new RangeError("all deep-supervision weights are 0");
  return total;
}
