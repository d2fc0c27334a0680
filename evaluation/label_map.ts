/**
 * The label map as the metrics see it: integer labels on a voxel grid with its spacing.
 * Metrics need only spacing, not orientation or origin; those matter only for checking that
 * a prediction and its reference lie on the same grid (see `grid_match.ts`).
 *
 * @module
 */

import { spacingFromAffine } from "../data/geometry.ts";
import type { Volume } from "../data/volume.ts";
import type { GridDims, GridSpacing } from "./distance_transform.ts";

/** Integer labels on a 3-D grid, `data[(k * nj + j) * ni + i]`, with spacing in millimetres. */
export interface LabelMap {
  /** One label per voxel; any numeric typed array (float labels are compared exactly). */
  readonly data: ArrayLike<number>;
  /** Voxel counts `[ni, nj, nk]`, i fastest. */
  readonly dims: GridDims;
  /** Voxel spacing `[si, sj, sk]` in millimetres. */
  readonly spacing: GridSpacing;
}

/**
 * Views a single-channel {@link Volume} as a {@link LabelMap} (no copy); the spacing is the
 * length of the affine's i, j and k columns. Throws a `RangeError` for multi-channel volumes,
 * which cannot be label maps; `name` says which volume in the message.
 *
 * @example
 * ```ts
 * import { labelMapFromVolume } from "./label_map.ts";
 * const affine = Float64Array.of(2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 5, 0, 0, 0, 0, 1);
 * const volume = { data: new Uint8Array(8), dims: [2, 2, 2] as [number, number, number],
 *   channels: 1, affine, meta: {} };
 * labelMapFromVolume(volume).spacing; // [2, 2, 5]
 * ```
 */
export function labelMapFromVolume(volume: Volume, name = "volume"): LabelMap {
  if (volume.channels !== 1) {
    throw new RangeError(
      `${name} has ${volume.channels} channels; a label map must have exactly one ` +
        `(convert probabilities or one-hot channels to labels first)`,
    );
  }
  return { data: volume.data, dims: volume.dims, spacing: spacingFromAffine(volume.affine) };
}

/**
 * The distinct non-zero labels found in any of `labelData`, ascending: the classes to
 * evaluate when the caller names none (0 is taken to be background).
 */
export function foregroundLabels(...labelData: ArrayLike<number>[]): number[] {
  const seen = new Set<number>();
  for (const data of labelData) {
    let previous = 0;
    for (let index = 0; index < data.length; index++) {
      const label = data[index];
      // Runs of one label are the norm in label maps; skip the Set for them.
      if (label === previous) continue;
      previous = label;
      if (label !== 0) seen.add(label);
    }
  }
  return [...seen].sort((a, b) => a - b);
}
