/**
 * GPU neighbourhood transforms on channels-last image batches: separable Gaussian blur and
 * simulated low resolution. Both return a new tensor and leave the input untouched.
 *
 * @module
 */

import { dispatch } from "../../core/command_queue.ts";
import { bindTensor } from "../../core/ops/run_kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { blurAxisKernel, lowResolutionKernel } from "../../shaders/augmentation_filters.ts";
import { foldGrid } from "../../shaders/grid.ts";
import { batchGeometry } from "./intensity.ts";
import type { Triple } from "./parameters.ts";
import { AugmentationShapeError } from "./spatial.ts";

/** Radius of a Gaussian kernel truncated at 4σ (as scipy's `gaussian_filter`). */
export function gaussianRadius(sigma: number): number {
  return Math.floor(4 * sigma + 0.5);
}

/** Normalised half-kernel `[w0, w1, …, wR]` of a Gaussian (w0 the centre). */
export function gaussianHalfKernel(sigma: number): Float64Array {
  const radius = gaussianRadius(sigma);
  const weights = new Float64Array(radius + 1);
  let total = 0;
  for (let k = 0; k <= radius; k++) {
    weights[k] = Math.exp(-0.5 * (k / sigma) ** 2);
    total += k === 0 ? weights[k] : 2 * weights[k];
  }
  return weights.map((w) => w / total);
}

/**
 * Blurs sample-channel n·C + c with a Gaussian of σ `sigmas[n·C + c]` along (D, H, W) (no
 * blur where undefined), with half-sample symmetric borders. Returns a new tensor.
 */
export function gaussianBlur(image: Tensor, sigmas: ReadonlyArray<Triple | undefined>): Tensor {
  const geometry = batchGeometry(image);
  const pairs = geometry.batch * geometry.channels;
  if (sigmas.length !== pairs) {
    throw new AugmentationShapeError(`blur: ${sigmas.length} sigmas for ${pairs} channels`);
  }
  const maxRadius = Math.max(
    0,
    ...sigmas.flatMap((s) => s ? s.map(gaussianRadius) : [0]),
  );
  let current = image;
  for (const axis of [0, 1, 2] as const) {
    const slot = maxRadius + 2;
    const weights = new Float32Array(pairs * slot);
    sigmas.forEach((sigma, i) => {
      const half = sigma ? gaussianHalfKernel(sigma[axis]) : Float64Array.of(1);
      weights[i * slot] = half.length - 1;
      weights.set(half, i * slot + 1);
    });
    const weightTensor = Tensor.from(weights, [pairs, slot], "f32");
    const out = new Tensor(image.shape, "f32");
    const { code, groups } = blurAxisKernel(geometry, axis, maxRadius);
    dispatch(code, [out, current, weightTensor].map(bindTensor), foldGrid(groups));
    weightTensor.dispose();
    if (current !== image) current.dispose();
    current = out;
  }
  return current;
}

/** Low-resolution size of one axis for a zoom factor: `max(1, round(size·zoom))`. */
export function lowResolutionSize(size: number, zoom: number): number {
  return Math.max(1, Math.round(size * zoom));
}

/**
 * Simulates low resolution where `zooms[n·C + c]` is defined: nearest downsampling to
 * `round(size·zoom)` per axis, then linear upsampling back. Returns a new tensor.
 */
export function simulateLowResolution(
  image: Tensor,
  zooms: ReadonlyArray<number | undefined>,
): Tensor {
  const geometry = batchGeometry(image);
  const pairs = geometry.batch * geometry.channels;
  if (zooms.length !== pairs) {
    throw new AugmentationShapeError(`low resolution: ${zooms.length} zooms for ${pairs} channels`);
  }
  const quads = new Float32Array(4 * pairs);
  zooms.forEach((zoom, i) => {
    if (zoom === undefined) return;
    quads.set([1, ...geometry.size.map((s) => lowResolutionSize(s, zoom))], 4 * i);
  });
  const parameters = Tensor.from(quads, [pairs, 4], "f32");
  const out = new Tensor(image.shape, "f32");
  const { code, groups } = lowResolutionKernel(geometry);
  dispatch(code, [out, image, parameters].map(bindTensor), foldGrid(groups));
  parameters.dispose();
  return out;
}
