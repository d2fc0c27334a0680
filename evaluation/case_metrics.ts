/**
 * Every metric of one case, for each requested class label: overlap (Dice, IoU, precision,
 * recall, volumes) and surface distances (HD95, HD, ASSD, NSD).
 *
 * @module
 */

import { type EmptyMaskPolicy, resolveEmptyMaskPolicy } from "./empty_mask_policy.ts";
import type { LabelMap } from "./label_map.ts";
import { type ConfusionCounts, countConfusion, overlapMetrics } from "./overlap_metrics.ts";
import type { OverlapMetrics } from "./overlap_metrics.ts";
import { type SurfaceMetrics, surfaceMetrics } from "./surface_metrics.ts";

/** All metrics of one class in one case; volumes in mm³, distances in mm. */
export interface ClassMetrics extends ConfusionCounts, OverlapMetrics, SurfaceMetrics {}

/** The metric names in the order tables show them. */
export const CLASS_METRIC_NAMES: readonly (keyof ClassMetrics)[] = Object.freeze([
  "dice",
  "iou",
  "precision",
  "recall",
  "hd95Mm",
  "hdMm",
  "assdMm",
  "nsd",
  "predictedVolumeMm3",
  "referenceVolumeMm3",
  "volumeDifferenceMm3",
  "relativeVolumeDifference",
  "truePositives",
  "falsePositives",
  "falseNegatives",
]);

/** The metrics of one case, keyed by class label (as a string, as JSON object keys are). */
export interface CaseMetrics {
  /** The case's identifier, usually its file name without extension. */
  caseId: string;
  /** Metrics per class label. */
  classes: Record<string, ClassMetrics>;
}

/** Default normalised-surface-Dice tolerance, mm. Tasks should set their own. */
export const DEFAULT_NSD_TOLERANCE_MM = 1;

/** Settings shared by every case of an evaluation. */
export interface MetricSettings {
  /** NSD tolerance in millimetres. Default {@link DEFAULT_NSD_TOLERANCE_MM}. */
  nsdToleranceMm?: number;
  /** Percentile of the "HD95" metric, 0–100. Default 95. */
  hausdorffPercentile?: number;
  /** Values for metrics undefined on empty masks; see `empty_mask_policy.ts`. */
  emptyMasks?: Partial<EmptyMaskPolicy>;
}

/** {@link MetricSettings} with every default filled in. */
export interface ResolvedMetricSettings {
  /** NSD tolerance in millimetres. */
  nsdToleranceMm: number;
  /** Percentile of the "HD95" metric, 0–100. */
  hausdorffPercentile: number;
  /** Values for metrics undefined on empty masks. */
  emptyMasks: EmptyMaskPolicy;
}

/** Fills in defaults and rejects settings that make no sense. */
export function resolveMetricSettings(settings: MetricSettings = {}): ResolvedMetricSettings {
  const nsdToleranceMm = settings.nsdToleranceMm ?? DEFAULT_NSD_TOLERANCE_MM;
  const hausdorffPercentile = settings.hausdorffPercentile ?? 95;
  if (!(nsdToleranceMm >= 0) || !Number.isFinite(nsdToleranceMm)) {
    throw new RangeError(`NSD tolerance must be a finite number ≥ 0 mm, got ${nsdToleranceMm}`);
  }
  if (!(hausdorffPercentile >= 0 && hausdorffPercentile <= 100)) {
    throw new RangeError(`Hausdorff percentile must lie in [0, 100], got ${hausdorffPercentile}`);
  }
  return {
    nsdToleranceMm,
    hausdorffPercentile,
    emptyMasks: resolveEmptyMaskPolicy(settings.emptyMasks),
  };
}

/**
 * The metrics of a class absent from both prediction and reference. They depend only on the
 * policy, which lets an evaluation fill in classes a case never mentions.
 */
export function bothEmptyClassMetrics(policy: EmptyMaskPolicy): ClassMetrics {
  const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
  const distance = policy.bothEmptyDistance;
  return {
    ...counts,
    ...overlapMetrics(counts, 1, policy),
    hd95Mm: distance,
    hdMm: distance,
    assdMm: distance,
    nsd: policy.bothEmptyScore,
  };
}

/** 0/1 mask of the voxels carrying `label`. */
function labelMask(data: ArrayLike<number>, label: number): Uint8Array {
  const mask = new Uint8Array(data.length);
  for (let index = 0; index < data.length; index++) mask[index] = data[index] === label ? 1 : 0;
  return mask;
}

/** Relative spacing difference tolerated between prediction and reference (header rounding). */
const SPACING_TOLERANCE = 1e-3;

function checkSameGrid(caseId: string, prediction: LabelMap, reference: LabelMap): void {
  const sameDims = prediction.dims.every((n, axis) => n === reference.dims[axis]);
  const sameSpacing = prediction.spacing.every((s, axis) =>
    Math.abs(s - reference.spacing[axis]) <= SPACING_TOLERANCE * Math.max(1, s)
  );
  if (!sameDims || !sameSpacing) {
    throw new RangeError(
      `Case "${caseId}": prediction grid [${prediction.dims.join(", ")}] spacing ` +
        `[${prediction.spacing.join(", ")}] differs from reference grid ` +
        `[${reference.dims.join(", ")}] spacing [${reference.spacing.join(", ")}]`,
    );
  }
  const voxelCount = prediction.dims[0] * prediction.dims[1] * prediction.dims[2];
  if (prediction.data.length !== voxelCount || reference.data.length !== voxelCount) {
    throw new RangeError(
      `Case "${caseId}": dims [${prediction.dims.join(", ")}] need ${voxelCount} voxels, ` +
        `prediction has ${prediction.data.length}, reference ${reference.data.length}`,
    );
  }
}

/**
 * All metrics of one case for each label in `labels`, using the reference's spacing. Throws a
 * `RangeError` naming the case when dims differ or spacings differ by more than 0.1 %.
 *
 * @example
 * ```ts
 * import { computeCaseMetrics } from "./case_metrics.ts";
 * const grid = { dims: [4, 1, 1] as const, spacing: [1, 1, 1] as const };
 * const metrics = computeCaseMetrics(
 *   "case_0",
 *   { ...grid, data: new Uint8Array([0, 1, 1, 0]) },
 *   { ...grid, data: new Uint8Array([0, 1, 1, 1]) },
 *   [1],
 * );
 * metrics.classes["1"].dice; // 0.8
 * ```
 */
export function computeCaseMetrics(
  caseId: string,
  prediction: LabelMap,
  reference: LabelMap,
  labels: readonly number[],
  settings: MetricSettings = {},
): CaseMetrics {
  checkSameGrid(caseId, prediction, reference);
  const { nsdToleranceMm, hausdorffPercentile, emptyMasks } = resolveMetricSettings(settings);
  const { dims, spacing } = reference;
  const voxelVolumeMm3 = spacing[0] * spacing[1] * spacing[2];
  const confusion = countConfusion(prediction.data, reference.data, labels);
  const classes: Record<string, ClassMetrics> = {};
  labels.forEach((label, slot) => {
    const counts = confusion[slot];
    const predictedVoxels = counts.truePositives + counts.falsePositives;
    const referenceVoxels = counts.truePositives + counts.falseNegatives;
    // Both-empty classes need no voxel pass: their values come from the policy alone.
    const surface = predictedVoxels === 0 && referenceVoxels === 0
      ? bothEmptyClassMetrics(emptyMasks)
      : surfaceMetrics(
        labelMask(prediction.data, label),
        labelMask(reference.data, label),
        dims,
        spacing,
        { toleranceMm: nsdToleranceMm, percentile: hausdorffPercentile, policy: emptyMasks },
      );
    classes[String(label)] = {
      ...counts,
      ...overlapMetrics(counts, voxelVolumeMm3, emptyMasks),
      hd95Mm: surface.hd95Mm,
      hdMm: surface.hdMm,
      assdMm: surface.assdMm,
      nsd: surface.nsd,
    };
  });
  return { caseId, classes };
}
