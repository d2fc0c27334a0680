/**
 * Surface-distance metrics of one class between a predicted and a reference mask, in
 * millimetres with anisotropic spacing: Hausdorff distance (HD), its 95th-percentile variant
 * (HD95), average symmetric surface distance (ASSD) and normalised surface Dice (NSD).
 *
 * Surfaces are the voxel sets of `surface_voxels.ts`; distances run between voxel centres and
 * come from the exact distance transform of `distance_transform.ts`. With `dPR` the distances
 * from each predicted surface voxel to the nearest reference surface voxel and `dRP` the
 * reverse:
 *
 * - HD = max(max dPR, max dRP)
 * - HD95 = max(P95(dPR), P95(dRP)), percentiles with linear interpolation (NumPy's default);
 *   the symmetric maximum of directed percentiles, as MONAI computes it
 * - ASSD = (Σ dPR + Σ dRP) / (|dPR| + |dRP|), the mean over both surfaces' voxels together
 * - NSD(τ) = (#{dPR ≤ τ} + #{dRP ≤ τ}) / (|dPR| + |dRP|). Each surface voxel counts once;
 *   the surface-area-weighted variant of Nikolov et al. weighs them by surfel area instead.
 *
 * Empty masks: see `empty_mask_policy.ts`.
 *
 * @module
 */

import { type GridDims, type GridSpacing, squaredDistanceToSeeds } from "./distance_transform.ts";
import type { EmptyMaskPolicy } from "./empty_mask_policy.ts";
import { surfaceVoxels } from "./surface_voxels.ts";

/** Surface-distance metrics of one class. */
export interface SurfaceMetrics {
  /** Symmetric percentile Hausdorff distance (95th by default), mm. */
  hd95Mm: number;
  /** Hausdorff distance (maximum surface distance), mm. */
  hdMm: number;
  /** Average symmetric surface distance, mm. */
  assdMm: number;
  /** Normalised surface Dice: share of both surfaces within the tolerance of the other. */
  nsd: number;
}

/** Settings for {@link surfaceMetrics}. */
export interface SurfaceMetricsOptions {
  /** NSD tolerance τ in millimetres. */
  toleranceMm: number;
  /** Undefined-value conventions for empty masks. */
  policy: EmptyMaskPolicy;
  /** Percentile of the "HD95" metric, 0–100. Default 95. */
  percentile?: number;
}

/** Inclusive voxel box `[lo, hi]` per axis. */
interface VoxelBox {
  lo: [number, number, number];
  hi: [number, number, number];
}

/** Box around the voxels non-zero in either mask, or undefined when both are empty. */
function unionBoundingBox(
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  dims: GridDims,
): VoxelBox | undefined {
  const [ni, nj, nk] = dims;
  const lo: [number, number, number] = [ni, nj, nk];
  const hi: [number, number, number] = [-1, -1, -1];
  let index = 0;
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++, index++) {
        if (first[index] === 0 && second[index] === 0) continue;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  return hi[0] < 0 ? undefined : { lo, hi };
}

/** Copies the box out of `mask` as 0/1 bytes. */
function cropMask(mask: ArrayLike<number>, dims: GridDims, box: VoxelBox): Uint8Array {
  const [ni, nj] = dims;
  const [ci, cj, ck] = [0, 1, 2].map((axis) => box.hi[axis] - box.lo[axis] + 1);
  const cropped = new Uint8Array(ci * cj * ck);
  let target = 0;
  for (let k = 0; k < ck; k++) {
    for (let j = 0; j < cj; j++) {
      let source = ((box.lo[2] + k) * nj + box.lo[1] + j) * ni + box.lo[0];
      for (let i = 0; i < ci; i++, source++, target++) cropped[target] = mask[source] !== 0 ? 1 : 0;
    }
  }
  return cropped;
}

/** Distances (mm) from each voxel of `from` to the nearest voxel of `to`, both surfaces. */
function directedDistances(
  from: Uint8Array,
  to: Uint8Array,
  dims: GridDims,
  spacing: GridSpacing,
): Float64Array {
  const squared = squaredDistanceToSeeds(to, dims, spacing);
  let count = 0;
  for (let index = 0; index < from.length; index++) count += from[index];
  const distances = new Float64Array(count);
  let next = 0;
  for (let index = 0; index < from.length; index++) {
    if (from[index] !== 0) distances[next++] = Math.sqrt(squared[index]);
  }
  return distances;
}

/** Percentile (0–100) of ascending-sorted values, linear interpolation between ranks. */
function sortedPercentile(sorted: Float64Array, percentile: number): number {
  const rank = (percentile / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
}

/** Length of the image diagonal between the centres of opposite corner voxels, mm. */
function diagonalMm(dims: GridDims, spacing: GridSpacing): number {
  return Math.hypot(...dims.map((n, axis) => Math.max(n - 1, 0) * spacing[axis]));
}

/**
 * HD, HD95, ASSD and NSD between two binary masks (non-zero = foreground) on the same grid.
 * Works on the bounding box of both masks, which holds every surface voxel, so the cost
 * follows the structure's size rather than the image's.
 *
 * @example
 * ```ts
 * import { surfaceMetrics } from "./surface_metrics.ts";
 * import { DEFAULT_EMPTY_MASK_POLICY } from "./empty_mask_policy.ts";
 * const predicted = new Uint8Array([1, 1, 0, 0]);
 * const reference = new Uint8Array([0, 1, 1, 0]);
 * surfaceMetrics(predicted, reference, [4, 1, 1], [2, 1, 1], {
 *   toleranceMm: 1,
 *   policy: DEFAULT_EMPTY_MASK_POLICY,
 * }); // { hdMm: 2, hd95Mm: 1.9, assdMm: 1, nsd: 0.5 }
 * ```
 */
export function surfaceMetrics(
  prediction: ArrayLike<number>,
  reference: ArrayLike<number>,
  dims: GridDims,
  spacing: GridSpacing,
  options: SurfaceMetricsOptions,
): SurfaceMetrics {
  const { toleranceMm, policy, percentile = 95 } = options;
  const box = unionBoundingBox(prediction, reference, dims);
  if (box === undefined) {
    const distance = policy.bothEmptyDistance;
    return { hd95Mm: distance, hdMm: distance, assdMm: distance, nsd: policy.bothEmptyScore };
  }
  const boxDims: GridDims = [0, 1, 2].map((axis) => box.hi[axis] - box.lo[axis] + 1) as [
    number,
    number,
    number,
  ];
  const predictedSurface = surfaceVoxels(cropMask(prediction, dims, box), boxDims);
  const referenceSurface = surfaceVoxels(cropMask(reference, dims, box), boxDims);
  const predictedEmpty = !predictedSurface.includes(1);
  const referenceEmpty = !referenceSurface.includes(1);
  if (predictedEmpty || referenceEmpty) {
    const distance = policy.oneEmptyDistance === "diagonal"
      ? diagonalMm(dims, spacing)
      : policy.oneEmptyDistance;
    return { hd95Mm: distance, hdMm: distance, assdMm: distance, nsd: 0 };
  }
  const fromPrediction = directedDistances(predictedSurface, referenceSurface, boxDims, spacing);
  const fromReference = directedDistances(referenceSurface, predictedSurface, boxDims, spacing);
  fromPrediction.sort();
  fromReference.sort();
  let sum = 0;
  let withinTolerance = 0;
  for (const distances of [fromPrediction, fromReference]) {
    for (const distance of distances) {
      sum += distance;
      if (distance <= toleranceMm) withinTolerance++;
    }
  }
  const surfaceCount = fromPrediction.length + fromReference.length;
  return {
    hd95Mm: Math.max(
      sortedPercentile(fromPrediction, percentile),
      sortedPercentile(fromReference, percentile),
    ),
    hdMm: Math.max(fromPrediction[fromPrediction.length - 1], fromReference.at(-1)!),
    assdMm: sum / surfaceCount,
    nsd: withinTolerance / surfaceCount,
  };
}
