/**
 * Conversions between volumes (channel-major, i fastest) and channels-last tensors
 * (D, H, W, C), and from predicted label or class-probability tensors back to volumes on a
 * given grid.
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
  return onGrid(Uint8Array.from(labels), 1, grid, "mipcandy prediction");
}

/**
 * A class-probability volume on `grid`'s geometry from predicted probabilities in
 * channels-last (D, H, W, K) order: one float32 channel per class, background first.
 *
 * @example
 * ```ts
 * import { probabilitiesToVolume } from "./volume_tensors.ts";
 * const grid = { data: new Float32Array(2), dims: [2, 1, 1] as [number, number, number],
 *   channels: 1, affine: Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1),
 *   meta: {} };
 * const volume = probabilitiesToVolume(Float32Array.of(0.9, 0.1, 0.3, 0.7), 2, grid);
 * console.assert(volume.channels === 2 && volume.data[1] === 0.3);
 * ```
 */
export function probabilitiesToVolume(
  probabilities: ArrayLike<number>,
  classes: number,
  grid: Volume,
): Volume {
  const [ni, nj, nk] = grid.dims;
  const voxels = ni * nj * nk;
  if (!Number.isInteger(classes) || classes < 1 || probabilities.length !== voxels * classes) {
    throw new RangeError(
      `${probabilities.length} probabilities for ${classes} class(es) on a grid of ` +
        `${ni}×${nj}×${nk}`,
    );
  }
  const data = new Float32Array(voxels * classes);
  for (let c = 0; c < classes; c++) {
    for (let v = 0; v < voxels; v++) data[c * voxels + v] = probabilities[v * classes + c];
  }
  return onGrid(data, classes, grid, "mipcandy class probabilities");
}

/**
 * The label map of a class-probability volume (one channel per class): per voxel the most
 * probable class, the lowest on ties, on the same grid.
 *
 * @example
 * ```ts
 * import { labelsFromProbabilities } from "./volume_tensors.ts";
 * const probabilities = { data: Float32Array.of(0.9, 0.3, 0.1, 0.7),
 *   dims: [2, 1, 1] as [number, number, number], channels: 2,
 *   affine: Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1), meta: {} };
 * const labels = labelsFromProbabilities(probabilities);
 * console.assert(labels.data[0] === 0 && labels.data[1] === 1);
 * ```
 */
export function labelsFromProbabilities(probabilities: Volume): Volume {
  const [ni, nj, nk] = probabilities.dims;
  const voxels = ni * nj * nk;
  const classes = probabilities.channels;
  if (classes > 256) throw new RangeError(`${classes} classes do not fit 8-bit labels`);
  const source = probabilities.data;
  const data = new Uint8Array(voxels);
  for (let v = 0; v < voxels; v++) {
    let best = 0;
    let bestValue = source[v];
    for (let c = 1; c < classes; c++) {
      const value = source[c * voxels + v];
      if (value > bestValue) {
        best = c;
        bestValue = value;
      }
    }
    data[v] = best;
  }
  return onGrid(data, 1, probabilities, "mipcandy prediction");
}

/** A volume of `data` with `grid`'s dims and a copy of its affine. */
function onGrid(
  data: Uint8Array | Float32Array,
  channels: number,
  grid: Volume,
  description: string,
): Volume {
  return {
    data,
    dims: [...grid.dims],
    channels,
    affine: Float64Array.from(grid.affine),
    meta: { description },
  };
}
