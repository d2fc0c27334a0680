/**
 * Checks that two volumes of one case lie on the same voxel grid: equal dims and affines
 * equal within a tolerance (header round-off makes exact equality too strict).
 *
 * @module
 */

import type { Volume } from "../volume.ts";
import { GridMismatchError } from "./errors.ts";

/** Tolerances for {@link assertSameGrid}. */
export interface GridTolerance {
  /**
   * Largest allowed difference of an affine entry, relative to the larger voxel size of the
   * two volumes (so it is a fraction of a voxel). Default 1e-3.
   */
  relative?: number;
  /** Largest allowed difference of an affine entry in millimetres; replaces `relative`. */
  absolute?: number;
}

/** Largest voxel axis length of an affine (the longest of its first three columns). */
function largestSpacing(affine: Float64Array): number {
  let largest = 0;
  for (let col = 0; col < 3; col++) {
    largest = Math.max(largest, Math.hypot(affine[col], affine[4 + col], affine[8 + col]));
  }
  return largest;
}

/**
 * Throws {@link GridMismatchError} naming `caseId`, `whatA` and `whatB` when the volumes'
 * dims differ or any affine entry differs by more than the tolerance; `advice` replaces
 * the error's default advice.
 *
 * @example
 * ```ts
 * import { assertSameGrid } from "./grid_check.ts";
 * import { identityAffine } from "../geometry.ts";
 * const image = { data: new Float32Array(8), dims: [2, 2, 2] as [number, number, number],
 *   channels: 1, affine: identityAffine(), meta: {} };
 * assertSameGrid("case_1", image, { ...image, data: new Uint8Array(8) }, "image", "label");
 * ```
 */
export function assertSameGrid(
  caseId: string,
  a: Volume,
  b: Volume,
  whatA: string,
  whatB: string,
  tolerance: GridTolerance = {},
  advice?: string,
): void {
  if (a.dims.some((n, axis) => n !== b.dims[axis])) {
    throw new GridMismatchError(
      caseId,
      `${whatA} has dims [${a.dims.join(", ")}] but ${whatB} has dims [${b.dims.join(", ")}]`,
      advice,
    );
  }
  const limit = tolerance.absolute ?? (tolerance.relative ?? 1e-3) *
      Math.max(largestSpacing(a.affine), largestSpacing(b.affine), 1e-12);
  for (let n = 0; n < 12; n++) {
    const difference = Math.abs(a.affine[n] - b.affine[n]);
    if (!(difference <= limit)) {
      throw new GridMismatchError(
        caseId,
        `${whatA} and ${whatB} have different affines (row ${n >> 2}, column ${n & 3}: ` +
          `${a.affine[n]} vs ${b.affine[n]}, tolerance ${limit})`,
        advice,
      );
    }
  }
}
