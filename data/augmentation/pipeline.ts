/**
 * The GPU augmentation pipeline for training batches, in nnU-Net's order: one spatial
 * resampling (rotation, scaling, mirroring, crop to the output size), then Gaussian noise,
 * blur, brightness, contrast, low resolution, inverted gamma and gamma. Parameters are
 * drawn on the host from a seeded generator whose state resumes the sequence exactly.
 *
 * Mirroring is folded into the resampling (nnU-Net mirrors last); the intensity transforms
 * treat every voxel alike, so the result has the same distribution.
 *
 * @module
 */

import { RandomGenerator, type RandomState } from "../../core/random.ts";
import type { Tensor } from "../../core/tensor.ts";
import {
  type AugmentationConfig,
  augmentationConfig,
  AugmentationConfigError,
  type AugmentationOverrides,
} from "./config.ts";
import { gaussianBlur, simulateLowResolution } from "./filters.ts";
import {
  addGaussianNoise,
  adjustContrast,
  adjustGamma,
  batchGeometry,
  scaleBrightness,
} from "./intensity.ts";
import {
  type BatchAugmentation,
  drawBatchAugmentation,
  type SampleAugmentation,
  type Triple,
} from "./parameters.ts";
import { resampleAffine, rotationMatrix, spatialMatrix } from "./spatial.ts";

/** Options of {@link BatchAugmenter}. */
export interface BatchAugmenterOptions {
  /** Spatial size (D, H, W) of the augmented patches. */
  outputSize: readonly [number, number, number];
  /** Changes to nnU-Net's defaults. */
  config?: AugmentationOverrides;
  /** Seed of the parameter generator (default 0). */
  seed?: number;
}

/** An augmented batch (new tensors owned by the caller). */
export interface AugmentedBatch {
  /** Image (N, D, H, W, C) f32. */
  image: Tensor;
  /** Label (N, D, H, W) i32. */
  label: Tensor;
}

/**
 * Augments channels-last batches on the GPU.
 *
 * @example
 * ```ts ignore
 * const augmenter = new BatchAugmenter({ outputSize: [64, 64, 64], seed: 1 });
 * const { image, label } = augmenter.augment(batch.image, batch.label);
 * ```
 */
export class BatchAugmenter {
  /** The effective configuration. */
  readonly config: AugmentationConfig;
  /** Output spatial size. */
  readonly outputSize: readonly [number, number, number];
  #generator: RandomGenerator;

  /** Creates an augmenter; throws {@link AugmentationConfigError} on invalid settings. */
  constructor(options: BatchAugmenterOptions) {
    if (!options.outputSize.every((s) => Number.isInteger(s) && s > 0)) {
      throw new AugmentationConfigError(`outputSize [${options.outputSize}] must be positive`);
    }
    this.config = augmentationConfig(options.config);
    this.outputSize = [...options.outputSize] as [number, number, number];
    this.#generator = new RandomGenerator(options.seed ?? 0);
  }

  /** Generator state (for checkpoints). */
  state(): RandomState {
    return this.#generator.state();
  }

  /** Restores a state from {@link state}. */
  setState(state: RandomState): void {
    this.#generator.setState(state);
  }

  /** Draws the parameters of the next batch (advances the generator). */
  draw(batch: number, channels: number): BatchAugmentation {
    const [d, h, w] = this.outputSize;
    return drawBatchAugmentation(
      this.#generator,
      this.config,
      batch,
      channels,
      batch * d * h * w * channels,
    );
  }

  /** Draws parameters and applies them: returns new tensors, inputs are left alone. */
  augment(image: Tensor, label: Tensor): AugmentedBatch {
    const geometry = batchGeometry(image);
    return this.apply(image, label, this.draw(geometry.batch, geometry.channels));
  }

  /** Applies given parameters (records GPU work only). */
  apply(image: Tensor, label: Tensor, parameters: BatchAugmentation): AugmentedBatch {
    return applyAugmentation(image, label, parameters, this.outputSize, this.config);
  }
}

function perChannel<T>(
  samples: readonly SampleAugmentation[],
  pick: (s: SampleAugmentation) => ReadonlyArray<T | undefined>,
): Array<T | undefined> {
  return samples.flatMap((s) => [...pick(s)]);
}

const defined = <T>(values: ReadonlyArray<T | undefined>): boolean =>
  values.some((v) => v !== undefined);

/**
 * Applies a batch's parameters: image (N, Di, Hi, Wi, C) f32 and label (N, Di, Hi, Wi) i32
 * to (N, ...outputSize, C) and (N, ...outputSize). Stages no sample uses are skipped.
 */
export function applyAugmentation(
  image: Tensor,
  label: Tensor,
  parameters: BatchAugmentation,
  outputSize: readonly [number, number, number],
  config: Pick<AugmentationConfig, "imageFill" | "labelFill">,
): AugmentedBatch {
  const geometry = batchGeometry(image);
  const { samples } = parameters;
  if (samples.length !== geometry.batch) {
    throw new AugmentationConfigError(
      `${samples.length} sample parameters for a batch of ${geometry.batch}`,
    );
  }
  const matrices = new Float32Array(12 * samples.length);
  samples.forEach((s, n) => matrices.set(spatialMatrix(s, geometry.size, outputSize), 12 * n));
  const spatial = resampleAffine(image, label, matrices, outputSize, {
    image: config.imageFill,
    label: config.labelFill,
  });
  let current = spatial.image;
  const replace = (next: Tensor) => {
    if (next !== current) current.dispose();
    current = next;
  };
  if (parameters.noiseStream && samples.some((s) => s.noiseSigma !== undefined)) {
    addGaussianNoise(current, samples.map((s) => s.noiseSigma ?? 0), parameters.noiseStream);
  }
  const blur = perChannel<Triple>(samples, (s) => s.blurSigma);
  if (defined(blur)) replace(gaussianBlur(current, blur));
  const brightness = perChannel<number>(samples, (s) => s.brightness);
  if (defined(brightness)) scaleBrightness(current, brightness);
  const contrast = perChannel<number>(samples, (s) => s.contrast);
  if (defined(contrast)) adjustContrast(current, contrast);
  const zoom = perChannel<number>(samples, (s) => s.lowResolutionZoom);
  if (defined(zoom)) replace(simulateLowResolution(current, zoom));
  const inverted = perChannel<number>(samples, (s) => s.invertedGamma);
  if (defined(inverted)) adjustGamma(current, inverted, true);
  const gamma = perChannel<number>(samples, (s) => s.gamma);
  if (defined(gamma)) adjustGamma(current, gamma, false);
  return { image: current, label: spatial.label };
}

/**
 * The input patch size that lets rotation by up to the configured angles and zooming out
 * to the largest scale stay inside sampled data (as nnU-Net enlarges its sampled patch):
 * the bounding box of the output box rotated by the extreme angles, times the largest
 * scale, capped at `limit` per axis when given.
 */
export function augmentationInputSize(
  outputSize: readonly [number, number, number],
  config: Pick<AugmentationConfig, "rotation" | "scaling">,
  limit?: readonly [number, number, number],
): [number, number, number] {
  const half = outputSize.map((s) => (s - 1) / 2);
  const extent = [...half];
  const angleChoices = config.rotation.probability > 0
    ? config.rotation.angles.map((r) => [r[0], 0, r[1]])
    : [[0], [0], [0]];
  // the extremes of |R·corner| lie at the ends of each angle's range (or 0 when it crosses 0)
  for (const a of angleChoices[0]) {
    for (const b of angleChoices[1]) {
      for (const c of angleChoices[2]) {
        const r = rotationMatrix([a, b, c]);
        for (let i = 0; i < 3; i++) {
          const reach = Math.abs(r[i][0]) * half[0] + Math.abs(r[i][1]) * half[1] +
            Math.abs(r[i][2]) * half[2];
          extent[i] = Math.max(extent[i], reach);
        }
      }
    }
  }
  const scale = config.scaling.probability > 0 ? Math.max(1, config.scaling.range[1]) : 1;
  return extent.map((e, i) => {
    const size = Math.max(outputSize[i], Math.ceil(2 * e * scale + 1 - 1e-9));
    return limit ? Math.min(size, Math.max(limit[i], outputSize[i])) : size;
  }) as [number, number, number];
}
