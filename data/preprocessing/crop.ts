/**
 * Cutting a box out of a volume and putting it back: the affine follows exactly, so every
 * kept voxel keeps its world position. Boxes may reach outside the volume; the outside is
 * filled (padding), which lets the same function centre a fixed-size ROI anywhere.
 *
 * @module
 */

import { multiplyAffines, type Vec3 } from "../geometry.ts";
import { type BoundingBox, boxSize } from "../inspection/bounding_box.ts";
import type { Volume, VoxelArray } from "../volume.ts";

type VoxelArrayConstructor = new (length: number) => VoxelArray;

/** The affine of a grid whose voxel (0, 0, 0) is voxel `start` of `affine`'s grid. */
export function shiftedAffine(affine: Float64Array, start: Vec3): Float64Array {
  const translation = Float64Array.of(
    1,
    0,
    0,
    start[0],
    0,
    1,
    0,
    start[1],
    0,
    0,
    1,
    start[2],
    0,
    0,
    0,
    1,
  );
  return multiplyAffines(affine, translation);
}

/** Fill value for a channel: one number for all, or one per channel. */
export type ChannelFill = number | readonly number[];

function fillOf(fill: ChannelFill, channel: number): number {
  return typeof fill === "number" ? fill : fill[channel] ?? 0;
}

/**
 * Copies the overlap of a source grid and a destination grid, where destination voxel `d`
 * is source voxel `d + offset`, for every channel.
 */
function copyOverlap(
  source: VoxelArray,
  sourceDims: Vec3,
  target: VoxelArray,
  targetDims: Vec3,
  offset: Vec3,
  channels: number,
): void {
  const lo = [0, 1, 2].map((a) => Math.max(0, -offset[a]));
  const hi = [0, 1, 2].map((a) => Math.min(targetDims[a], sourceDims[a] - offset[a]));
  if (hi.some((h, a) => h <= lo[a])) return;
  const sourceVoxels = sourceDims[0] * sourceDims[1] * sourceDims[2];
  const targetVoxels = targetDims[0] * targetDims[1] * targetDims[2];
  const rowLength = hi[0] - lo[0];
  for (let channel = 0; channel < channels; channel++) {
    for (let k = lo[2]; k < hi[2]; k++) {
      for (let j = lo[1]; j < hi[1]; j++) {
        const from = channel * sourceVoxels +
          ((k + offset[2]) * sourceDims[1] + (j + offset[1])) * sourceDims[0] + lo[0] + offset[0];
        const to = channel * targetVoxels + (k * targetDims[1] + j) * targetDims[0] + lo[0];
        target.set(source.subarray(from, from + rowLength), to);
      }
    }
  }
}

function filled(
  like: VoxelArray,
  dims: Vec3,
  channels: number,
  fill: ChannelFill,
): VoxelArray {
  const voxels = dims[0] * dims[1] * dims[2];
  const data = new (like.constructor as VoxelArrayConstructor)(voxels * channels);
  for (let channel = 0; channel < channels; channel++) {
    const value = fillOf(fill, channel);
    if (value !== 0) data.fill(value, channel * voxels, (channel + 1) * voxels);
  }
  return data;
}

/**
 * Cuts `box` out of a volume (same data type); parts of the box outside the volume are
 * filled with `fill`. The result's affine places every voxel where it was.
 *
 * @example
 * ```ts
 * import { cropVolume } from "./crop.ts";
 * import { identityAffine } from "../geometry.ts";
 * const volume = { data: new Uint8Array(64).map((_, n) => n), dims: [4, 4, 4] as [number, number, number],
 *   channels: 1, affine: identityAffine(), meta: {} };
 * const cropped = cropVolume(volume, { start: [1, 1, 1], end: [3, 3, 3] });
 * console.assert(cropped.data[0] === 21 && cropped.affine[3] === 1);
 * ```
 */
export function cropVolume(volume: Volume, box: BoundingBox, fill: ChannelFill = 0): Volume {
  const dims = boxSize(box);
  const data = filled(volume.data, dims, volume.channels, fill);
  copyOverlap(volume.data, volume.dims, data, dims, box.start, volume.channels);
  return {
    data,
    dims,
    channels: volume.channels,
    affine: shiftedAffine(volume.affine, box.start),
    meta: { ...volume.meta },
  };
}

/**
 * Undoes {@link cropVolume}: places `cropped` at `box` inside a grid of `dims` whose affine is
 * `affine` (the original grid), filling the rest with `fill` (e.g. background, or per-channel
 * `[1, 0, 0]` for class probabilities). Parts of the box outside the grid are dropped.
 */
export function uncropVolume(
  cropped: Volume,
  box: BoundingBox,
  dims: Vec3,
  affine: Float64Array,
  fill: ChannelFill = 0,
): Volume {
  const data = filled(cropped.data, dims, cropped.channels, fill);
  const offset: Vec3 = [-box.start[0], -box.start[1], -box.start[2]];
  copyOverlap(cropped.data, cropped.dims, data, dims, offset, cropped.channels);
  return {
    data,
    dims: [...dims],
    channels: cropped.channels,
    affine: Float64Array.from(affine),
    meta: { ...cropped.meta },
  };
}
