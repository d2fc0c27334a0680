/**
 * Axis-aligned voxel boxes around the nonzero or foreground part of a volume.
 *
 * @module
 */

import type { Vec3 } from "../geometry.ts";
import type { Volume } from "../volume.ts";

/**
 * A box of voxels: `start` is inclusive and `end` exclusive along i, j, k. `start` may be
 * negative and `end` beyond the dims for a box that pads the volume.
 */
export interface BoundingBox {
  /** First voxel index inside the box. */
  start: Vec3;
  /** One past the last voxel index inside the box. */
  end: Vec3;
}

/** Voxel counts of a box along i, j, k. */
export function boxSize(box: BoundingBox): Vec3 {
  return [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
}

/** The box covering a whole volume of `dims`. */
export function fullBox(dims: Vec3): BoundingBox {
  return { start: [0, 0, 0], end: [dims[0], dims[1], dims[2]] };
}

/**
 * Smallest box holding every voxel for which `isInside(channel, index)` holds in any channel;
 * `undefined` when none does.
 */
function boxWhere(volume: Volume, isInside: (value: number) => boolean): BoundingBox | undefined {
  const [ni, nj, nk] = volume.dims;
  const data = volume.data;
  const start: Vec3 = [ni, nj, nk];
  const end: Vec3 = [0, 0, 0];
  let offset = 0;
  for (let channel = 0; channel < volume.channels; channel++) {
    for (let k = 0; k < nk; k++) {
      for (let j = 0; j < nj; j++) {
        let first = -1, last = -1;
        for (let i = 0; i < ni; i++, offset++) {
          if (isInside(data[offset])) {
            if (first < 0) first = i;
            last = i;
          }
        }
        if (first < 0) continue;
        if (first < start[0]) start[0] = first;
        if (last + 1 > end[0]) end[0] = last + 1;
        if (j < start[1]) start[1] = j;
        if (j + 1 > end[1]) end[1] = j + 1;
        if (k < start[2]) start[2] = k;
        if (k + 1 > end[2]) end[2] = k + 1;
      }
    }
  }
  return end[0] > 0 ? { start, end } : undefined;
}

/**
 * Box around every voxel that is nonzero in at least one channel (nnU-Net's crop mask);
 * `undefined` for an all-zero volume.
 *
 * @example
 * ```ts
 * import { nonzeroBoundingBox } from "./bounding_box.ts";
 * import { identityAffine } from "../geometry.ts";
 * const data = new Float32Array(27);
 * data[13] = 5; // voxel (1, 1, 1)
 * const box = nonzeroBoundingBox({ data, dims: [3, 3, 3], channels: 1,
 *   affine: identityAffine(), meta: {} });
 * console.assert(box?.start[0] === 1 && box?.end[0] === 2);
 * ```
 */
export function nonzeroBoundingBox(volume: Volume): BoundingBox | undefined {
  return boxWhere(volume, (value) => value !== 0);
}

/** Box around the label's foreground (values > 0); `undefined` when it has none. */
export function foregroundBoundingBox(label: Volume): BoundingBox | undefined {
  return boxWhere(label, (value) => value > 0);
}
