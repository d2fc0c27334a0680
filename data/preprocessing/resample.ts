/**
 * Resampling volumes onto a grid of other dims covering the same physical extent, so the
 * outer faces of the first and last voxels stay where they were and the affine stays exact.
 * Output voxel `o` along an axis of `n → m` voxels samples input coordinate
 * `(o + 0.5) · n / m − 0.5`; with `m = n` that is `o` itself, so equal dims copy exactly.
 *
 * Images are interpolated separably (linear = trilinear, cubic = Keys a = −0.5, nearest),
 * clamping at the edges. Label maps are resampled either by nearest neighbour or, as nnU-Net
 * does, by interpolating each class's indicator linearly and taking the most likely class,
 * which never invents a class that is not present nearby.
 *
 * @module
 */

import { spacingFromAffine, type Vec3, voxelToWorld } from "../geometry.ts";
import type { Volume, VoxelArray } from "../volume.ts";

/** How image intensities are interpolated. */
export type ImageInterpolation = "nearest" | "linear" | "cubic";

/** How label maps are resampled. */
export type LabelInterpolation = "nearest" | "linear-argmax";

/** Raised for resampling requests that cannot work (empty dims, non-integer labels). */
export class ResampleError extends Error {
  /** See `Error`. */
  constructor(message: string) {
    super(message);
    this.name = "ResampleError";
  }
}

/** Per output index along one axis: `taps` source indices and weights. */
interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

function sourceCoordinate(output: number, scale: number): number {
  return (output + 0.5) * scale - 0.5;
}

function keysCubic(distance: number): number {
  const x = Math.abs(distance);
  if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
  if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
  return 0;
}

function axisTaps(inputSize: number, outputSize: number, mode: ImageInterpolation): AxisTaps {
  const scale = inputSize / outputSize;
  const taps = mode === "nearest" ? 1 : mode === "linear" ? 2 : 4;
  const index = new Int32Array(outputSize * taps);
  const weight = new Float64Array(outputSize * taps);
  const clampIndex = (n: number) => Math.min(Math.max(n, 0), inputSize - 1);
  for (let o = 0; o < outputSize; o++) {
    const x = sourceCoordinate(o, scale);
    const at = o * taps;
    if (mode === "nearest") {
      index[at] = clampIndex(Math.floor(x + 0.5));
      weight[at] = 1;
    } else if (mode === "linear") {
      const clamped = Math.min(Math.max(x, 0), inputSize - 1);
      const below = Math.floor(clamped);
      const fraction = clamped - below;
      index[at] = below;
      weight[at] = 1 - fraction;
      index[at + 1] = clampIndex(below + 1);
      weight[at + 1] = fraction;
    } else {
      const below = Math.floor(x);
      for (let t = 0; t < 4; t++) {
        const source = below - 1 + t;
        index[at + t] = clampIndex(source);
        weight[at + t] = keysCubic(x - source);
      }
    }
  }
  return { taps, index, weight };
}

/**
 * Resamples one axis of channel-major data. The data is viewed as (outer, n, inner) where
 * inner is the product of the faster axes and outer of the slower axes times channels.
 */
function resampleAxis(
  source: ArrayLike<number>,
  dims: Vec3,
  channels: number,
  axis: number,
  outputSize: number,
  taps: AxisTaps,
): Float32Array {
  const inputSize = dims[axis];
  let inner = 1, outer = channels;
  for (let a = 0; a < axis; a++) inner *= dims[a];
  for (let a = axis + 1; a < 3; a++) outer *= dims[a];
  const output = new Float32Array(outer * outputSize * inner);
  const { index, weight } = taps;
  const count = taps.taps;
  for (let block = 0; block < outer; block++) {
    const sourceBase = block * inputSize * inner;
    const outputBase = block * outputSize * inner;
    for (let o = 0; o < outputSize; o++) {
      const row = outputBase + o * inner;
      for (let t = 0; t < count; t++) {
        const w = weight[o * count + t];
        if (w === 0) continue;
        const from = sourceBase + index[o * count + t] * inner;
        for (let n = 0; n < inner; n++) output[row + n] += w * source[from + n];
      }
    }
  }
  return output;
}

/**
 * The affine of the grid of `newDims` voxels covering the same extent as `affine`'s grid of
 * `oldDims` voxels (directions kept, spacing scaled, origin moved to the new first centre).
 */
export function resampledAffine(affine: Float64Array, oldDims: Vec3, newDims: Vec3): Float64Array {
  const result = Float64Array.from(affine);
  const scales = [0, 1, 2].map((axis) => oldDims[axis] / newDims[axis]);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) result[row * 4 + col] = affine[row * 4 + col] * scales[col];
  }
  const firstCentre = voxelToWorld(affine, [
    sourceCoordinate(0, scales[0]),
    sourceCoordinate(0, scales[1]),
    sourceCoordinate(0, scales[2]),
  ]);
  for (let row = 0; row < 3; row++) result[row * 4 + 3] = firstCentre[row];
  return result;
}

/**
 * Dims that bring a grid of `dims` voxels of `spacing` closest to `targetSpacing` while
 * covering the same extent (nnU-Net's rounding; at least one voxel per axis).
 */
export function dimsForSpacing(dims: Vec3, spacing: Vec3, targetSpacing: Vec3): Vec3 {
  return [0, 1, 2].map((axis) =>
    Math.max(1, Math.round((dims[axis] * spacing[axis]) / targetSpacing[axis]))
  ) as Vec3;
}

function checkDims(dims: Vec3): void {
  if (dims.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ResampleError(`target dims [${dims}] must be positive integers`);
  }
}

/**
 * Resamples an image (every channel) to `dims`, returning float32 voxels and the exact new
 * affine.
 *
 * @example
 * ```ts
 * import { resampleImage } from "./resample.ts";
 * import { identityAffine } from "../geometry.ts";
 * const image = { data: Float32Array.of(0, 2), dims: [2, 1, 1] as [number, number, number],
 *   channels: 1, affine: identityAffine(), meta: {} };
 * const finer = resampleImage(image, [4, 1, 1]);
 * console.assert(finer.affine[0] === 0.5 && finer.data[1] === 0.5);
 * ```
 */
export function resampleImage(
  volume: Volume,
  dims: Vec3,
  mode: ImageInterpolation = "linear",
): Volume {
  checkDims(dims);
  let data: ArrayLike<number> = volume.data;
  const current: Vec3 = [...volume.dims];
  for (let axis = 0; axis < 3; axis++) {
    if (current[axis] === dims[axis]) continue;
    data = resampleAxis(
      data,
      current,
      volume.channels,
      axis,
      dims[axis],
      axisTaps(current[axis], dims[axis], mode),
    );
    current[axis] = dims[axis];
  }
  return {
    data: data instanceof Float32Array && data !== volume.data ? data : Float32Array.from(data),
    dims: [...dims],
    channels: volume.channels,
    affine: resampledAffine(volume.affine, volume.dims, dims),
    meta: { ...volume.meta },
  };
}

/** Typed array for label values up to `maxLabel`. */
export function labelArrayFor(maxLabel: number, length: number): VoxelArray {
  if (maxLabel <= 255) return new Uint8Array(length);
  if (maxLabel <= 65535) return new Uint16Array(length);
  return new Int32Array(length);
}

/** Largest label of a map; throws when a value is negative or not an integer. */
export function maxLabelValue(label: Volume): number {
  let max = 0;
  const data = label.data;
  for (let n = 0; n < data.length; n++) {
    const value = data[n];
    if (value > max) max = value;
    if (!(value >= 0) || !Number.isInteger(value)) {
      throw new ResampleError(`label value ${value} at voxel ${n} is not a non-negative integer`);
    }
  }
  return max;
}

/**
 * Resamples a label map to `dims`. `"linear-argmax"` (default) weighs the eight surrounding
 * voxels trilinearly and keeps the class with the largest total weight (ties go to the
 * smaller value); `"nearest"` takes the closest voxel. The output is an unsigned/int array
 * just wide enough for the largest label.
 */
export function resampleLabel(
  label: Volume,
  dims: Vec3,
  mode: LabelInterpolation = "linear-argmax",
): Volume {
  checkDims(dims);
  const maxLabel = maxLabelValue(label);
  const voxels = dims[0] * dims[1] * dims[2];
  const data = labelArrayFor(maxLabel, voxels * label.channels);
  const source = label.data;
  const [ni, nj] = label.dims;
  const sourceVoxels = ni * nj * label.dims[2];
  const interpolation = mode === "nearest" ? "nearest" : "linear";
  const [ti, tj, tk] = [0, 1, 2].map((axis) =>
    axisTaps(label.dims[axis], dims[axis], interpolation)
  );
  const score = new Float64Array(maxLabel + 1);
  const values = new Float64Array(8);
  const weights = new Float64Array(8);
  let out = 0;
  for (let channel = 0; channel < label.channels; channel++) {
    const base = channel * sourceVoxels;
    for (let k = 0; k < dims[2]; k++) {
      for (let j = 0; j < dims[1]; j++) {
        if (ti.taps === 1) {
          const row = base + (tk.index[k] * nj + tj.index[j]) * ni;
          for (let i = 0; i < dims[0]; i++) data[out++] = source[row + ti.index[i]];
          continue;
        }
        // The four source rows around this output row and their k·j weights.
        const rows = [0, 1, 2, 3].map((m) =>
          base + (tk.index[2 * k + (m >> 1)] * nj + tj.index[2 * j + (m & 1)]) * ni
        );
        const rowWeights = [0, 1, 2, 3].map((m) =>
          tk.weight[2 * k + (m >> 1)] * tj.weight[2 * j + (m & 1)]
        );
        for (let i = 0; i < dims[0]; i++, out++) {
          const i0 = ti.index[2 * i], i1 = ti.index[2 * i + 1];
          const wi0 = ti.weight[2 * i], wi1 = ti.weight[2 * i + 1];
          let uniform = true;
          for (let m = 0; m < 4; m++) {
            values[2 * m] = source[rows[m] + i0];
            values[2 * m + 1] = source[rows[m] + i1];
            weights[2 * m] = rowWeights[m] * wi0;
            weights[2 * m + 1] = rowWeights[m] * wi1;
            uniform &&= values[2 * m] === values[0] && values[2 * m + 1] === values[0];
          }
          // Most voxels lie inside one class; only boundaries need the vote.
          if (uniform) {
            data[out] = values[0];
            continue;
          }
          for (let m = 0; m < 8; m++) score[values[m]] += weights[m];
          let best = values[0], bestScore = -1;
          for (let m = 0; m < 8; m++) {
            const value = values[m];
            const total = score[value];
            if (total > bestScore || (total === bestScore && value < best)) {
              best = value;
              bestScore = total;
            }
          }
          for (let m = 0; m < 8; m++) score[values[m]] = 0;
          data[out] = best;
        }
      }
    }
  }
  return {
    data,
    dims: [...dims],
    channels: label.channels,
    affine: resampledAffine(label.affine, label.dims, dims),
    meta: { ...label.meta },
  };
}

/** Resamples an image to a target voxel size; see {@link resampleImage} and {@link dimsForSpacing}. */
export function resampleImageToSpacing(
  volume: Volume,
  targetSpacing: Vec3,
  mode: ImageInterpolation = "linear",
): Volume {
  const dims = dimsForSpacing(volume.dims, spacingFromAffine(volume.affine), targetSpacing);
  return resampleImage(volume, dims, mode);
}
