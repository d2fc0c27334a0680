/**
 * Copying a box out of a channel-major volume into a channels-last patch, padding where the
 * box leaves the volume.
 *
 * @module
 */

import type { LabelArray } from "./foreground.ts";

/** A box's spatial size or position along (D, H, W). */
export type Box3 = readonly [number, number, number];

/**
 * Copies the box at `origin` (may be negative or reach past the end) of size `size` from
 * `image` (C, D, H, W) into `out` at element `offset`, channels-last (D, H, W, C); voxels
 * outside the volume get `padding[c]`.
 */
export function extractImagePatch(
  image: Float32Array,
  shape: Box3,
  channels: number,
  origin: Box3,
  size: Box3,
  padding: ArrayLike<number>,
  out: Float32Array,
  offset: number,
): void {
  const [depth, height, width] = shape;
  const [pd, ph, pw] = size;
  const wStart = Math.max(0, -origin[2]);
  const wEnd = Math.min(pw, width - origin[2]);
  const volume = depth * height * width;
  for (let d = 0; d < pd; d++) {
    const z = origin[0] + d;
    for (let h = 0; h < ph; h++) {
      const y = origin[1] + h;
      const row = offset + ((d * ph + h) * pw) * channels;
      const inside = z >= 0 && z < depth && y >= 0 && y < height && wEnd > wStart;
      for (let c = 0; c < channels; c++) {
        const pad = padding[c];
        if (!inside) {
          for (let w = 0; w < pw; w++) out[row + w * channels + c] = pad;
          continue;
        }
        for (let w = 0; w < wStart; w++) out[row + w * channels + c] = pad;
        for (let w = wEnd; w < pw; w++) out[row + w * channels + c] = pad;
        const source = c * volume + (z * height + y) * width + origin[2];
        if (channels === 1) {
          out.set(image.subarray(source + wStart, source + wEnd), row + wStart);
        } else {
          for (let w = wStart; w < wEnd; w++) out[row + w * channels + c] = image[source + w];
        }
      }
    }
  }
}

/** The same for a label map (D, H, W) into an Int32Array at `offset`, padding with `pad`. */
export function extractLabelPatch(
  label: LabelArray,
  shape: Box3,
  origin: Box3,
  size: Box3,
  pad: number,
  out: Int32Array,
  offset: number,
): void {
  const [depth, height, width] = shape;
  const [pd, ph, pw] = size;
  const wStart = Math.max(0, -origin[2]);
  const wEnd = Math.min(pw, width - origin[2]);
  for (let d = 0; d < pd; d++) {
    const z = origin[0] + d;
    for (let h = 0; h < ph; h++) {
      const y = origin[1] + h;
      const row = offset + (d * ph + h) * pw;
      if (!(z >= 0 && z < depth && y >= 0 && y < height && wEnd > wStart)) {
        out.fill(pad, row, row + pw);
        continue;
      }
      out.fill(pad, row, row + wStart);
      out.fill(pad, row + wEnd, row + pw);
      const source = (z * height + y) * width + origin[2];
      out.set(label.subarray(source + wStart, source + wEnd), row + wStart);
    }
  }
}
