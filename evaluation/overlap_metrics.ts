/**
 * Voxel-overlap metrics of one class: Dice, IoU, precision, recall and volume differences,
 * all from the confusion counts of the class's predicted and reference masks.
 *
 * @module
 */

import type { EmptyMaskPolicy } from "./empty_mask_policy.ts";

/** Voxel counts of one class: both say the class, only the prediction does, only the reference. */
export interface ConfusionCounts {
  /** Voxels labelled with the class in both the prediction and the reference. */
  truePositives: number;
  /** Voxels labelled with the class in the prediction only. */
  falsePositives: number;
  /** Voxels labelled with the class in the reference only. */
  falseNegatives: number;
}

/**
 * Confusion counts for every label in `labels`, in one pass over the voxels.
 *
 * @example
 * ```ts
 * import { countConfusion } from "./overlap_metrics.ts";
 * countConfusion([0, 1, 1, 2], [1, 1, 0, 2], [1, 2]);
 * // [{ truePositives: 1, falsePositives: 1, falseNegatives: 1 },
 * //  { truePositives: 1, falsePositives: 0, falseNegatives: 0 }]
 * ```
 */
export function countConfusion(
  prediction: ArrayLike<number>,
  reference: ArrayLike<number>,
  labels: readonly number[],
): ConfusionCounts[] {
  if (prediction.length !== reference.length) {
    throw new RangeError(
      `Prediction has ${prediction.length} voxels but reference has ${reference.length}`,
    );
  }
  const slotOfLabel = new Map(labels.map((label, slot) => [label, slot]));
  const truePositives = new Float64Array(labels.length);
  const falsePositives = new Float64Array(labels.length);
  const falseNegatives = new Float64Array(labels.length);
  for (let index = 0; index < prediction.length; index++) {
    const predicted = prediction[index];
    const expected = reference[index];
    if (predicted === expected) {
      const slot = slotOfLabel.get(predicted);
      if (slot !== undefined) truePositives[slot]++;
      continue;
    }
    const predictedSlot = slotOfLabel.get(predicted);
    if (predictedSlot !== undefined) falsePositives[predictedSlot]++;
    const expectedSlot = slotOfLabel.get(expected);
    if (expectedSlot !== undefined) falseNegatives[expectedSlot]++;
  }
  return labels.map((_, slot) => ({
    truePositives: truePositives[slot],
    falsePositives: falsePositives[slot],
    falseNegatives: falseNegatives[slot],
  }));
}

/** Overlap and volume metrics of one class. */
export interface OverlapMetrics {
  /** 2·TP / (2·TP + FP + FN). */
  dice: number;
  /** Intersection over union (Jaccard): TP / (TP + FP + FN). */
  iou: number;
  /** TP / (TP + FP): the share of the predicted voxels that are right. */
  precision: number;
  /** TP / (TP + FN), also called sensitivity. */
  recall: number;
  /** Volume of the predicted mask, mm³. */
  predictedVolumeMm3: number;
  /** Volume of the reference mask, mm³. */
  referenceVolumeMm3: number;
  /** Predicted minus reference volume, mm³ (positive: over-segmentation). */
  volumeDifferenceMm3: number;
  /** (predicted − reference) / reference volume. */
  relativeVolumeDifference: number;
}

/**
 * Overlap metrics from confusion counts; `voxelVolumeMm3` is the product of the spacings.
 * Undefined ratios take the values of `policy` (see `empty_mask_policy.ts`).
 */
export function overlapMetrics(
  counts: ConfusionCounts,
  voxelVolumeMm3: number,
  policy: EmptyMaskPolicy,
): OverlapMetrics {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = counts;
  const predictedVoxels = tp + fp;
  const referenceVoxels = tp + fn;
  const predictedVolumeMm3 = predictedVoxels * voxelVolumeMm3;
  const referenceVolumeMm3 = referenceVoxels * voxelVolumeMm3;
  const volumeDifferenceMm3 = predictedVolumeMm3 - referenceVolumeMm3;
  const relativeVolumeDifference = referenceVoxels === 0
    ? policy.emptyReferenceRelativeVolume
    : volumeDifferenceMm3 / referenceVolumeMm3;
  const volumes = {
    predictedVolumeMm3,
    referenceVolumeMm3,
    volumeDifferenceMm3,
    relativeVolumeDifference,
  };
  if (predictedVoxels === 0 && referenceVoxels === 0) {
    const score = policy.bothEmptyScore;
    return { dice: score, iou: score, precision: score, recall: score, ...volumes };
  }
  return {
    dice: (2 * tp) / (2 * tp + fp + fn),
    iou: tp / (tp + fp + fn),
    precision: predictedVoxels === 0 ? policy.undefinedRatio : tp / predictedVoxels,
    recall: referenceVoxels === 0 ? policy.undefinedRatio : tp / referenceVoxels,
    ...volumes,
  };
}
