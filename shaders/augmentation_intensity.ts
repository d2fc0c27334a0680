/**
 * Intensity augmentation kernels on channels-last batches (N, D, H, W, C), all in place:
 * Gaussian noise, multiplicative brightness, contrast, gamma (with the inverted-image
 * variant and nnU-Net's "retain stats"), and the per sample-channel statistics (mean,
 * standard deviation, minimum, maximum) that contrast and gamma need.
 *
 * Per sample-channel parameters come as pairs `[enabled, value]` (or quadruples for gamma)
 * in a small f32 buffer: a disabled pair leaves the voxels bit-for-bit unchanged.
 *
 * @module
 */

import {
  AUGMENTATION_WORKGROUP,
  augmentationEntry,
  type BatchGeometry,
  splitElementIndex,
  voxelsOf,
} from "./augmentation.ts";
import { RANDOM_WGSL } from "./random.ts";

/** A generated kernel and its workgroup count. */
export interface AugmentationKernel {
  /** WGSL source. */
  code: string;
  /** Workgroups to launch (fold with `foldGrid`). */
  groups: number;
}

function elementCountOf(geometry: BatchGeometry): number {
  return geometry.batch * voxelsOf(geometry) * geometry.channels;
}

/**
 * In-place Gaussian noise `x += σ[n] · normal(key, counter + 2·idx)`. Bindings: 0 image,
 * 1 σ per sample, 2 `[key, counter]` as u32.
 */
export function gaussianNoiseKernel(geometry: BatchGeometry): AugmentationKernel {
  const { groups, text } = augmentationEntry(elementCountOf(geometry));
  const code = `${RANDOM_WGSL}
@group(0) @binding(0) var<storage, read_write> image: array<f32>;
@group(0) @binding(1) var<storage, read> sigma: array<f32>;
@group(0) @binding(2) var<storage, read> stream: array<u32>;
${text}
  let n = idx / ${voxelsOf(geometry) * geometry.channels}u;
  let s = sigma[n];
  if (s == 0.0) { return; }
  image[idx] = image[idx] + s * rng_normal(stream[0], stream[1] + 2u * idx);
}
`;
  return { code, groups };
}

/** In-place multiplicative brightness `x *= f`. Bindings: 0 image, 1 pairs. */
export function brightnessKernel(geometry: BatchGeometry): AugmentationKernel {
  const { groups, text } = augmentationEntry(elementCountOf(geometry));
  const code = `
@group(0) @binding(0) var<storage, read_write> image: array<f32>;
@group(0) @binding(1) var<storage, read> pairs: array<f32>;
${text}
  ${splitElementIndex(geometry)}
  if (pairs[2u * nc] == 0.0) { return; }
  image[idx] = image[idx] * pairs[2u * nc + 1u];
}
`;
  return { code, groups };
}

/**
 * In-place contrast with preserved range: `x = clamp((x − mean)·f + mean, min, max)` with the
 * sample-channel's statistics. Bindings: 0 image, 1 pairs, 2 statistics (4 per pair).
 */
export function contrastKernel(geometry: BatchGeometry): AugmentationKernel {
  const { groups, text } = augmentationEntry(elementCountOf(geometry));
  const code = `
@group(0) @binding(0) var<storage, read_write> image: array<f32>;
@group(0) @binding(1) var<storage, read> pairs: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
${text}
  ${splitElementIndex(geometry)}
  if (pairs[2u * nc] == 0.0) { return; }
  let mean = stats[4u * nc];
  let low = stats[4u * nc + 2u];
  let high = stats[4u * nc + 3u];
  image[idx] = clamp((image[idx] - mean) * pairs[2u * nc + 1u] + mean, low, high);
}
`;
  return { code, groups };
}

/**
 * In-place gamma, first half: with `y = s·x` (s = −1 for the inverted-image variant) and
 * y's range `[lo, lo + r]`, writes `s · (((y − lo) / (r + 1e-7))^γ · (r + 1e-7) + lo)`.
 * Bindings: 0 image, 1 quadruples `[enabled, γ, s, 0]`, 2 statistics of x.
 */
export function gammaKernel(geometry: BatchGeometry): AugmentationKernel {
  const { groups, text } = augmentationEntry(elementCountOf(geometry));
  const code = `
@group(0) @binding(0) var<storage, read_write> image: array<f32>;
@group(0) @binding(1) var<storage, read> quads: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
${text}
  ${splitElementIndex(geometry)}
  if (quads[4u * nc] == 0.0) { return; }
  let gamma = quads[4u * nc + 1u];
  let s = quads[4u * nc + 2u];
  let x_min = stats[4u * nc + 2u];
  let x_max = stats[4u * nc + 3u];
  let lo = select(-x_max, x_min, s > 0.0);
  let range = x_max - x_min + 1e-7;
  let y = s * image[idx];
  let g = pow(max((y - lo) / range, 0.0), gamma) * range + lo;
  image[idx] = s * g;
}
`;
  return { code, groups };
}

/**
 * In-place gamma, second half ("retain stats"): `z = (z − mean_z) / (std_z + 1e-8) · std_x +
 * mean_x` where enabled. Bindings: 0 image, 1 quadruples, 2 statistics of x, 3 of z.
 */
export function retainStatsKernel(geometry: BatchGeometry): AugmentationKernel {
  const { groups, text } = augmentationEntry(elementCountOf(geometry));
  const code = `
@group(0) @binding(0) var<storage, read_write> image: array<f32>;
@group(0) @binding(1) var<storage, read> quads: array<f32>;
@group(0) @binding(2) var<storage, read> before: array<f32>;
@group(0) @binding(3) var<storage, read> after: array<f32>;
${text}
  ${splitElementIndex(geometry)}
  if (quads[4u * nc] == 0.0) { return; }
  let z = image[idx];
  image[idx] = (z - after[4u * nc]) / (after[4u * nc + 1u] + 1e-8) * before[4u * nc + 1u] +
    before[4u * nc];
}
`;
  return { code, groups };
}

/** Voxels summed by one invocation of the first statistics stage. */
export const STATISTICS_CHUNK = 256;

/** Number of chunks per sample-channel of the first statistics stage. */
export function statisticsChunks(geometry: BatchGeometry): number {
  return Math.ceil(voxelsOf(geometry) / STATISTICS_CHUNK);
}

/**
 * Statistics, stage 1: each invocation sums one chunk of one sample-channel, shifted by the
 * sample-channel's first voxel (to keep float32 sums of squares from cancelling), and
 * writes `[Σ(x−x₀), Σ(x−x₀)², min, max]`. Bindings: 0 partials, 1 image.
 */
export function partialStatisticsKernel(geometry: BatchGeometry): AugmentationKernel {
  const chunks = statisticsChunks(geometry);
  const voxels = voxelsOf(geometry);
  const channels = geometry.channels;
  const pairs = geometry.batch * channels;
  const { groups, text } = augmentationEntry(pairs * chunks);
  const code = `
@group(0) @binding(0) var<storage, read_write> partials: array<f32>;
@group(0) @binding(1) var<storage, read> image: array<f32>;
${text}
  let chunk = idx % ${chunks}u;
  let nc = idx / ${chunks}u;
  let n = nc / ${channels}u;
  let c = nc % ${channels}u;
  let base = n * ${voxels * channels}u + c;
  let shift = image[base];
  let first = chunk * ${STATISTICS_CHUNK}u;
  let last = min(first + ${STATISTICS_CHUNK}u, ${voxels}u);
  var sum = 0.0;
  var squares = 0.0;
  var low = shift;
  var high = shift;
  for (var v = first; v < last; v++) {
    let x = image[base + v * ${channels}u];
    let y = x - shift;
    sum += y;
    squares += y * y;
    low = min(low, x);
    high = max(high, x);
  }
  partials[4u * idx] = sum;
  partials[4u * idx + 1u] = squares;
  partials[4u * idx + 2u] = low;
  partials[4u * idx + 3u] = high;
}
`;
  return { code, groups };
}

/**
 * Statistics, stage 2: combines the chunks of each sample-channel into
 * `[mean, std (population), min, max]`. Bindings: 0 statistics, 1 partials, 2 image.
 */
export function finalStatisticsKernel(geometry: BatchGeometry): AugmentationKernel {
  const chunks = statisticsChunks(geometry);
  const voxels = voxelsOf(geometry);
  const channels = geometry.channels;
  const pairs = geometry.batch * channels;
  const groups = Math.ceil(pairs / AUGMENTATION_WORKGROUP);
  const code = `
@group(0) @binding(0) var<storage, read_write> stats: array<f32>;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> image: array<f32>;
@compute @workgroup_size(${AUGMENTATION_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let nc = gid.x;
  if (nc >= ${pairs}u) { return; }
  let n = nc / ${channels}u;
  let c = nc % ${channels}u;
  let shift = image[n * ${voxels * channels}u + c];
  var sum = 0.0;
  var squares = 0.0;
  var low = shift;
  var high = shift;
  for (var k = 0u; k < ${chunks}u; k++) {
    let at = 4u * (nc * ${chunks}u + k);
    sum += partials[at];
    squares += partials[at + 1u];
    low = min(low, partials[at + 2u]);
    high = max(high, partials[at + 3u]);
  }
  let mean = sum / ${voxels}.0;
  stats[4u * nc] = shift + mean;
  stats[4u * nc + 1u] = sqrt(max(squares / ${voxels}.0 - mean * mean, 0.0));
  stats[4u * nc + 2u] = low;
  stats[4u * nc + 3u] = high;
}
`;
  return { code, groups };
}
