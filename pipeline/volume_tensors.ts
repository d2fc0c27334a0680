/**
 * Conversions between volumes (channel-major, i fastest) and channels-last tensors
 * (D, H, W, C), and from predicted label tensors back to volumes on a given grid.
 *
 * @module
 */

import { Tensor } from "../core/mod.ts";
import type { Volume } from "../data/volume.ts";

/** A volume's voxels as a channels-last tensor (D, H, W, C) = (nk, nj, ni, C). */
export function volumeToTensor(volume: Volume): Tensor {
  const [ni, nj, nk] = volume.dims;
  const voxels = ni * nj * nk;
  const channels = volume.channels;
  const out = new Float32Array(voxels * channels);
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < voxels; v++) out[v * channels + c] = volume.data[c * voxels + v];
  }
  return Tensor.from(out, [nk, nj, ni, channels]);
}

/** A label map on `grid`'s geometry from predicted labels in (D, H, W) order. */
export function labelsToVolume(labels: ArrayLike<number>, grid: Volume): Volume {
  const [ni, nj, nk] = grid.dims;
  if (labels.length !== ni * nj * nk) {
    throw new RangeError(`${labels.length} labels for a grid of ${ni}×${nj}×${nk}`);
  }
  const data = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) data[i] = labels[i];
  return {
    data,
    dims: [ni, nj, nk],
    channels: 1,
    affine: Float64Array.from(grid.affine),
    meta: { description: "mipcandy prediction" },
  };
}
