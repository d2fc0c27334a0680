/**
 * GPU intensity transforms on channels-last image batches (N, D, H, W, C). Each records its
 * kernels into the shared queue and modifies the image in place; per sample-channel
 * parameters are uploaded as small tensors that the functions dispose themselves.
 *
 * @module
 */

import { dispatch } from "../../core/command_queue.ts";
import { bindTensor } from "../../core/ops/run_kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import type { BatchGeometry } from "../../shaders/augmentation.ts";
import {
  brightnessKernel,
  contrastKernel,
  finalStatisticsKernel,
  gammaKernel,
  gaussianNoiseKernel,
  partialStatisticsKernel,
  retainStatsKernel,
  statisticsChunks,
} from "../../shaders/augmentation_intensity.ts";
import { foldGrid } from "../../shaders/grid.ts";
import type { NoiseStream } from "./parameters.ts";
import { AugmentationShapeError } from "./spatial.ts";

/** Geometry of a channels-last image batch; throws unless it is (N, D, H, W, C) f32. */
export function batchGeometry(image: Tensor): BatchGeometry {
  if (image.rank !== 5 || image.dtype !== "f32") {
    throw new AugmentationShapeError(
      `image must be (N, D, H, W, C) f32, got [${image.shape}] ${image.dtype}`,
    );
  }
  const [batch, depth, height, width, channels] = image.shape;
  return { batch, size: [depth, height, width], channels };
}

function checkLength(what: string, values: ArrayLike<unknown>, expected: number): void {
  if (values.length !== expected) {
    throw new AugmentationShapeError(`${what}: ${values.length} values, expected ${expected}`);
  }
}

/** `[enabled, value]` pairs per sample-channel (row n·C + c) from optional values. */
export function enabledPairs(values: ReadonlyArray<number | undefined>): Float32Array {
  const pairs = new Float32Array(2 * values.length);
  values.forEach((v, i) => {
    if (v !== undefined) {
      pairs[2 * i] = 1;
      pairs[2 * i + 1] = v;
    }
  });
  return pairs;
}

function runInPlace(
  image: Tensor,
  kernel: { code: string; groups: number },
  extra: readonly Tensor[],
): void {
  dispatch(kernel.code, [image, ...extra].map(bindTensor), foldGrid(kernel.groups));
}

/**
 * Adds Gaussian noise with standard deviation `sigmas[n]` to sample n (0 leaves it
 * unchanged), from the counter range `stream` (two counters per element).
 */
export function addGaussianNoise(
  image: Tensor,
  sigmas: ReadonlyArray<number>,
  stream: NoiseStream,
): void {
  const geometry = batchGeometry(image);
  checkLength("noise sigmas", sigmas, geometry.batch);
  const sigma = Tensor.from(Float32Array.from(sigmas), [geometry.batch], "f32");
  const counters = Tensor.from(Uint32Array.from([stream.key, stream.counter]), [2], "u32");
  runInPlace(image, gaussianNoiseKernel(geometry), [sigma, counters]);
  sigma.dispose();
  counters.dispose();
}

/** Multiplies sample-channel n·C + c by `factors[n·C + c]` where defined. */
export function scaleBrightness(image: Tensor, factors: ReadonlyArray<number | undefined>): void {
  const geometry = batchGeometry(image);
  checkLength("brightness factors", factors, geometry.batch * geometry.channels);
  const pairs = Tensor.from(enabledPairs(factors), [factors.length, 2], "f32");
  runInPlace(image, brightnessKernel(geometry), [pairs]);
  pairs.dispose();
}

/**
 * Per sample-channel `[mean, std, min, max]` (population std) as a new (N·C, 4) tensor,
 * computed on the GPU in two stages.
 */
export function channelStatistics(image: Tensor): Tensor {
  const geometry = batchGeometry(image);
  const pairs = geometry.batch * geometry.channels;
  const partials = new Tensor([pairs * statisticsChunks(geometry), 4], "f32");
  const stats = new Tensor([pairs, 4], "f32");
  const first = partialStatisticsKernel(geometry);
  dispatch(first.code, [partials, image].map(bindTensor), foldGrid(first.groups));
  const second = finalStatisticsKernel(geometry);
  dispatch(second.code, [stats, partials, image].map(bindTensor), foldGrid(second.groups));
  partials.dispose();
  return stats;
}

/**
 * Contrast with preserved range where `factors[n·C + c]` is defined:
 * `x = clamp((x − mean)·f + mean, min, max)`.
 */
export function adjustContrast(image: Tensor, factors: ReadonlyArray<number | undefined>): void {
  const geometry = batchGeometry(image);
  checkLength("contrast factors", factors, geometry.batch * geometry.channels);
  const stats = channelStatistics(image);
  const pairs = Tensor.from(enabledPairs(factors), [factors.length, 2], "f32");
  runInPlace(image, contrastKernel(geometry), [pairs, stats]);
  pairs.dispose();
  stats.dispose();
}

/**
 * Gamma with retained statistics where `gammas[n·C + c]` is defined, as nnU-Net does:
 * rescale to [0, 1] by the range, raise to γ, scale back, then restore the original mean
 * and standard deviation. `inverted` applies it to −x (and negates back).
 */
export function adjustGamma(
  image: Tensor,
  gammas: ReadonlyArray<number | undefined>,
  inverted: boolean,
): void {
  const geometry = batchGeometry(image);
  checkLength("gammas", gammas, geometry.batch * geometry.channels);
  const quads = new Float32Array(4 * gammas.length);
  gammas.forEach((g, i) => {
    if (g === undefined) return;
    quads.set([1, g, inverted ? -1 : 1, 0], 4 * i);
  });
  const parameters = Tensor.from(quads, [gammas.length, 4], "f32");
  const before = channelStatistics(image);
  runInPlace(image, gammaKernel(geometry), [parameters, before]);
  const after = channelStatistics(image);
  runInPlace(image, retainStatsKernel(geometry), [parameters, before, after]);
  for (const t of [parameters, before, after]) t.dispose();
}
