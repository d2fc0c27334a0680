/**
 * Checks that a prediction and its reference share one voxel grid, so voxel-wise metrics
 * compare the same points in space. The dims and affine check is the datasets' one
 * (`data/datasets/grid_check.ts`); this adds the channel count and evaluation's advice.
 *
 * @module
 */

import type { Volume } from "../data/volume.ts";
import { GridMismatchError } from "../data/datasets/errors.ts";
import { assertSameGrid as assertSameVolumeGrid } from "../data/datasets/grid_check.ts";

export { GridMismatchError };

/** Default largest difference allowed between affine entries, in millimetres. */
export const DEFAULT_AFFINE_TOLERANCE = 1e-3;

const ADVICE = "resample the prediction onto the reference grid (or export it with the " +
  "reference's geometry) before evaluating";

/**
 * Throws a {@link GridMismatchError} unless both volumes have the same dims and channel count
 * and their affines agree entry by entry within `tolerance` (mm; the default allows the
 * rounding of float32 headers).
 *
 * @example
 * ```ts
 * import { assertSameGrid } from "./grid_match.ts";
 * const affine = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
 * const volume = {
 *   data: new Uint8Array(8), dims: [2, 2, 2] as [number, number, number],
 *   channels: 1, affine, meta: {},
 * };
 * assertSameGrid("case_0", volume, volume); // passes
 * ```
 */
export function assertSameGrid(
  caseId: string,
  prediction: Volume,
  reference: Volume,
  tolerance: number = DEFAULT_AFFINE_TOLERANCE,
): void {
  if (prediction.channels !== reference.channels) {
    throw new GridMismatchError(
      caseId,
      `the prediction has ${prediction.channels} channels, the reference ${reference.channels}`,
      ADVICE,
    );
  }
  assertSameVolumeGrid(caseId, prediction, reference, "the prediction", "the reference", {
    absolute: tolerance,
  }, ADVICE);
}
