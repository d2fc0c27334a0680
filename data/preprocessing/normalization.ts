/**
 * Intensity normalisation schemes, one per image channel, as nnU-Net chooses them:
 * per-case z-score (over the whole image or only its nonzero region), CT (clip to the
 * dataset's foreground 0.5/99.5 percentiles, then z-score with the dataset's foreground mean
 * and std), rescaling to 0–1, or nothing.
 *
 * @module
 */

import type { Volume } from "../volume.ts";

/** How one channel is normalised. */
export type NormalizationScheme =
  | {
    /** Per-case z-score: subtract the case's mean, divide by its std. */
    kind: "zscore";
    /**
     * Voxels the statistics are taken over: `"all"` (default) or `"nonzero"` (those nonzero
     * in any channel; voxels outside are set to 0, as nnU-Net does after cropping).
     */
    region?: "all" | "nonzero";
  }
  | {
    /** CT: clip to dataset foreground percentiles, then z-score with dataset statistics. */
    kind: "ct";
    /** Dataset foreground mean. */
    mean: number;
    /** Dataset foreground standard deviation. */
    std: number;
    /** Lower clip (dataset foreground 0.5th percentile). */
    lower: number;
    /** Upper clip (dataset foreground 99.5th percentile). */
    upper: number;
  }
  | {
    /** Per-case min–max rescaling to [0, 1]. */
    kind: "rescale";
  }
  | {
    /** Intensities kept as they are (only converted to float32). */
    kind: "none";
  };

/** Raised when a scheme list does not fit the image. */
export class NormalizationError extends Error {
  /** See `Error`. */
  constructor(message: string) {
    super(message);
    this.name = "NormalizationError";
  }
}

// Floors the divisor so that a constant image becomes zeros instead of NaN.
const MIN_STD = 1e-8;

function nonzeroMask(volume: Volume, voxels: number): Uint8Array {
  const mask = new Uint8Array(voxels);
  for (let channel = 0; channel < volume.channels; channel++) {
    const base = channel * voxels;
    for (let n = 0; n < voxels; n++) if (volume.data[base + n] !== 0) mask[n] = 1;
  }
  return mask;
}

function normalizeChannel(
  source: Volume["data"],
  target: Float32Array,
  base: number,
  voxels: number,
  scheme: NormalizationScheme,
  mask: () => Uint8Array,
): void {
  switch (scheme.kind) {
    case "none":
      for (let n = 0; n < voxels; n++) target[base + n] = source[base + n];
      return;
    case "ct": {
      const scale = 1 / Math.max(scheme.std, MIN_STD);
      for (let n = 0; n < voxels; n++) {
        const clipped = Math.min(Math.max(source[base + n], scheme.lower), scheme.upper);
        target[base + n] = (clipped - scheme.mean) * scale;
      }
      return;
    }
    case "rescale": {
      let min = Infinity, max = -Infinity;
      for (let n = 0; n < voxels; n++) {
        const value = source[base + n];
        if (value < min) min = value;
        if (value > max) max = value;
      }
      const scale = 1 / Math.max(max - min, MIN_STD);
      for (let n = 0; n < voxels; n++) target[base + n] = (source[base + n] - min) * scale;
      return;
    }
    case "zscore": {
      const region = scheme.region === "nonzero" ? mask() : undefined;
      let count = 0, sum = 0;
      for (let n = 0; n < voxels; n++) {
        if (region && !region[n]) continue;
        sum += source[base + n];
        count++;
      }
      const mean = count ? sum / count : 0;
      let squares = 0;
      for (let n = 0; n < voxels; n++) {
        if (region && !region[n]) continue;
        squares += (source[base + n] - mean) ** 2;
      }
      const scale = 1 / Math.max(count ? Math.sqrt(squares / count) : 0, MIN_STD);
      for (let n = 0; n < voxels; n++) {
        target[base + n] = region && !region[n] ? 0 : (source[base + n] - mean) * scale;
      }
      return;
    }
  }
}

/**
 * Normalises each channel of an image with its scheme (one scheme is used for all channels
 * when only one is given). Returns a float32 volume with the same geometry.
 *
 * @throws {NormalizationError} When the number of schemes is neither 1 nor the channel count.
 *
 * @example
 * ```ts
 * import { normalizeImage } from "./normalization.ts";
 * import { identityAffine } from "../geometry.ts";
 * const image = { data: Float32Array.of(1, 3), dims: [2, 1, 1] as [number, number, number],
 *   channels: 1, affine: identityAffine(), meta: {} };
 * const z = normalizeImage(image, [{ kind: "zscore" }]);
 * console.assert(z.data[0] === -1 && z.data[1] === 1);
 * ```
 */
export function normalizeImage(volume: Volume, schemes: readonly NormalizationScheme[]): Volume {
  if (schemes.length !== 1 && schemes.length !== volume.channels) {
    throw new NormalizationError(
      `${schemes.length} normalisation schemes for an image of ${volume.channels} channels; ` +
        "give one per channel, or one for all",
    );
  }
  const voxels = volume.dims[0] * volume.dims[1] * volume.dims[2];
  const target = new Float32Array(voxels * volume.channels);
  let mask: Uint8Array | undefined;
  const lazyMask = () => (mask ??= nonzeroMask(volume, voxels));
  for (let channel = 0; channel < volume.channels; channel++) {
    const scheme = schemes[schemes.length === 1 ? 0 : channel];
    normalizeChannel(volume.data, target, channel * voxels, voxels, scheme, lazyMask);
  }
  return { ...volume, data: target, dims: [...volume.dims], meta: { ...volume.meta } };
}
