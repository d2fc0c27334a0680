/**
 * Foreground voxel locations per class, precomputed once per case so that the patch
 * sampler can centre patches on foreground without scanning the label every time.
 *
 * @module
 */

import { RandomGenerator } from "../../core/random.ts";
import { drawIndex } from "./host_random.ts";

/** Flat voxel indices `(d·H + h)·W + w` of sampled foreground voxels, per class value. */
export type ForegroundLocations = Map<number, Uint32Array>;

/** Label arrays the sampler accepts. */
export type LabelArray = Int32Array | Uint8Array | Uint16Array | Int16Array | Int8Array;

/** Options of {@link foregroundLocations}. */
export interface ForegroundOptions {
  /** Seed of the subsampling (default 0). */
  seed?: number;
  /**
   * Keep at least this fraction of a class's voxels even beyond `maxPerClass` (nnU-Net:
   * 0.01), so large structures stay covered.
   */
  minCoverage?: number;
}

/**
 * Up to `maxPerClass` voxel indices of each class in `classes` (chosen uniformly without
 * replacement, seeded; sorted ascending). Classes absent from the label map to an empty
 * array.
 *
 * @example
 * ```ts
 * import { foregroundLocations } from "./foreground.ts";
 * const label = new Uint8Array([0, 1, 1, 2, 0, 1]);
 * const locations = foregroundLocations(label, [1, 2], 2, { seed: 3 });
 * locations.get(2); // Uint32Array [3]
 * ```
 */
export function foregroundLocations(
  label: ArrayLike<number>,
  classes: readonly number[],
  maxPerClass = 10000,
  options: ForegroundOptions = {},
): ForegroundLocations {
  const slot = new Map<number, number>();
  classes.forEach((c, i) => slot.set(c, i));
  const counts = new Uint32Array(classes.length);
  for (let i = 0; i < label.length; i++) {
    const k = slot.get(label[i]);
    if (k !== undefined) counts[k]++;
  }
  const all = classes.map((_, k) => new Uint32Array(counts[k]));
  const filled = new Uint32Array(classes.length);
  for (let i = 0; i < label.length; i++) {
    const k = slot.get(label[i]);
    if (k !== undefined) all[k][filled[k]++] = i;
  }
  const generator = new RandomGenerator(options.seed ?? 0);
  const coverage = options.minCoverage ?? 0.01;
  const result: ForegroundLocations = new Map();
  classes.forEach((c, k) => {
    const indices = all[k];
    const keep = Math.min(
      indices.length,
      Math.max(maxPerClass, Math.ceil(indices.length * coverage)),
    );
    if (keep === indices.length) {
      result.set(c, indices);
      return;
    }
    // partial Fisher–Yates: the first `keep` entries become a uniform subset
    for (let i = 0; i < keep; i++) {
      const j = i + drawIndex(generator, indices.length - i);
      const t = indices[i];
      indices[i] = indices[j];
      indices[j] = t;
    }
    result.set(c, indices.slice(0, keep).sort());
  });
  return result;
}
