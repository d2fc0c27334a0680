/**
 * The surface of a binary mask, as the set of voxels that surface-distance metrics measure
 * between.
 *
 * Definition: a voxel is a surface voxel when it is foreground and at least one of its six
 * face neighbours (±i, ±j, ±k) is background or lies outside the grid. Face neighbours give a
 * surface without gaps that is one voxel thick; treating outside the grid as background makes
 * a structure cut by the image border have a surface there, so it is never surface-less.
 *
 * @module
 */

import type { GridDims } from "./distance_transform.ts";

/**
 * Marks the surface voxels of `mask` (non-zero = foreground) with 1, all others with 0.
 *
 * @example
 * ```ts
 * import { surfaceVoxels } from "./surface_voxels.ts";
 * // A 3×3×3 cube: every voxel but the centre touches the outside.
 * const surface = surfaceVoxels(new Uint8Array(27).fill(1), [3, 3, 3]);
 * surface[13]; // 0
 * ```
 */
export function surfaceVoxels(mask: ArrayLike<number>, dims: GridDims): Uint8Array {
  const [ni, nj, nk] = dims;
  const sliceSize = ni * nj;
  if (mask.length !== sliceSize * nk) {
    throw new RangeError(`Mask has ${mask.length} voxels, dims [${dims.join(", ")}] need more`);
  }
  const surface = new Uint8Array(mask.length);
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      const rowStart = (k * nj + j) * ni;
      for (let i = 0; i < ni; i++) {
        const index = rowStart + i;
        if (mask[index] === 0) continue;
        const onSurface = i === 0 || i === ni - 1 || j === 0 || j === nj - 1 || k === 0 ||
          k === nk - 1 ||
          mask[index - 1] === 0 || mask[index + 1] === 0 ||
          mask[index - ni] === 0 || mask[index + ni] === 0 ||
          mask[index - sliceSize] === 0 || mask[index + sliceSize] === 0;
        if (onSurface) surface[index] = 1;
      }
    }
  }
  return surface;
}
