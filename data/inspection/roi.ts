/**
 * Regions of interest: cropping a case to its nonzero region (reversibly), and a fixed
 * dataset-level ROI size from the cases' foreground extents, centred on each case.
 *
 * @module
 */

import type { Vec3 } from "../geometry.ts";
import { cropVolume } from "../preprocessing/crop.ts";
import type { Volume } from "../volume.ts";
import { type BoundingBox, boxSize, fullBox, nonzeroBoundingBox } from "./bounding_box.ts";
import { percentileOfSorted } from "./statistics.ts";

/** A case cropped to its nonzero region, with the box needed to undo the crop. */
export interface NonzeroCrop {
  /** The cropped image. */
  image: Volume;
  /** The label cut to the same box, when one was given. */
  label?: Volume;
  /** The box in the original grid (the whole volume when the image is all zero). */
  box: BoundingBox;
}

/**
 * Crops an image (and its label) to the box of voxels nonzero in any image channel. Undo it
 * with `uncropVolume(volume, box, originalDims, originalAffine)`.
 *
 * @example
 * ```ts ignore
 * import { cropToNonzero } from "./roi.ts";
 * const { image, label, box } = cropToNonzero(loaded.image, loaded.label);
 * ```
 */
export function cropToNonzero(image: Volume, label?: Volume): NonzeroCrop {
  const box = nonzeroBoundingBox(image) ?? fullBox(image.dims);
  const crop: NonzeroCrop = { image: cropVolume(image, box), box };
  if (label) crop.label = cropVolume(label, box);
  return crop;
}

/**
 * A dataset-level ROI size: per axis, the `percentile` (default 95) of the foreground box
 * sizes, rounded up, so that most cases' foreground fits entirely.
 */
export function roiSizeFromExtents(boxes: readonly BoundingBox[], percentile = 95): Vec3 {
  if (boxes.length === 0) throw new RangeError("roiSizeFromExtents needs at least one box");
  const sizes = boxes.map(boxSize);
  return [0, 1, 2].map((axis) => {
    const sorted = Float64Array.from(sizes.map((size) => size[axis])).sort();
    return Math.max(1, Math.ceil(percentileOfSorted(sorted, percentile) - 1e-9));
  }) as Vec3;
}

/**
 * A box of `size` centred on `around` (typically a case's foreground box). It may reach
 * outside the volume; `cropVolume` pads such parts.
 */
export function centredBox(around: BoundingBox, size: Vec3): BoundingBox {
  const start = [0, 1, 2].map((axis) => {
    const centreTwice = around.start[axis] + around.end[axis];
    return Math.floor((centreTwice - size[axis]) / 2);
  }) as Vec3;
  return { start, end: [start[0] + size[0], start[1] + size[1], start[2] + size[2]] };
}
