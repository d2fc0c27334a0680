/**
 * Checks that a prediction and its reference share one voxel grid, so voxel-wise metrics
 * compare the same points in space.
 *
 * @module
 */

import type { Volume } from "../data/volume.ts";

/** A prediction does not lie on its reference's grid; `caseId` names the case. */
export class GridMismatchError extends Error {
  /** The case whose prediction and reference differ. */
  readonly caseId: string;

  /** Builds the error; `problem` says what differs. */
  constructor(caseId: string, problem: string) {
    super(
      `Case "${caseId}": ${problem}. Resample the prediction onto the reference grid ` +
        `(or export it with the reference's geometry) before evaluating.`,
    );
    this.name = "GridMismatchError";
    this.caseId = caseId;
  }
}

/** Default largest difference allowed between affine entries, in millimetres. */
export const DEFAULT_AFFINE_TOLERANCE = 1e-3;

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
  const sameDims = prediction.dims.every((n, axis) => n === reference.dims[axis]);
  if (!sameDims) {
    throw new GridMismatchError(
      caseId,
      `prediction dims [${prediction.dims.join(", ")}] differ from reference dims ` +
        `[${reference.dims.join(", ")}]`,
    );
  }
  if (prediction.channels !== reference.channels) {
    throw new GridMismatchError(
      caseId,
      `prediction has ${prediction.channels} channels, reference ${reference.channels}`,
    );
  }
  for (let entry = 0; entry < 16; entry++) {
    const predicted = prediction.affine[entry];
    const expected = reference.affine[entry];
    if (!(Math.abs(predicted - expected) <= tolerance)) {
      const row = Math.floor(entry / 4);
      const column = entry % 4;
      throw new GridMismatchError(
        caseId,
        `affine entry (row ${row}, column ${column}) is ${predicted} in the prediction but ` +
          `${expected} in the reference (tolerance ${tolerance})`,
      );
    }
  }
}
