/**
 * Per-sample random augmentation parameters, drawn on the host from a seeded generator in a
 * fixed order (so a generator state resumes augmentation exactly). The GPU kernels only
 * apply what is drawn here.
 *
 * @module
 */

import type { RandomGenerator } from "../../core/random.ts";
import { drawBetween, drawChance, drawUniform } from "../sampling/host_random.ts";
import type { AugmentationConfig, ChannelConfig, Range } from "./config.ts";

/** A triple along (D, H, W). */
export type Triple = [number, number, number];

/** What happens to one sample; `undefined` entries mean "not applied". */
export interface SampleAugmentation {
  /** Rotation angles about the D, H and W axes (radians). */
  rotation?: Triple;
  /** Isotropic zoom factor (> 1 shows more of the volume). */
  scale?: number;
  /** Mirroring per axis (D, H, W). */
  mirror: [boolean, boolean, boolean];
  /** Standard deviation of additive Gaussian noise. */
  noiseSigma?: number;
  /** Per channel: blur σ along (D, H, W). */
  blurSigma: Array<Triple | undefined>;
  /** Per channel: brightness multiplier. */
  brightness: Array<number | undefined>;
  /** Per channel: contrast factor. */
  contrast: Array<number | undefined>;
  /** Per channel: low-resolution zoom in (0, 1]. */
  lowResolutionZoom: Array<number | undefined>;
  /** Per channel: γ applied to the inverted image. */
  invertedGamma: Array<number | undefined>;
  /** Per channel: γ. */
  gamma: Array<number | undefined>;
}

/** Counter range of the GPU noise stream (see `RandomGenerator.take`). */
export interface NoiseStream {
  /** Kernel key. */
  key: number;
  /** First counter. */
  counter: number;
}

/** Parameters of one batch. */
export interface BatchAugmentation {
  /** One entry per sample. */
  samples: SampleAugmentation[];
  /** Counters for the noise kernel, present when some sample gets noise. */
  noiseStream?: NoiseStream;
}

/** No transform at all for a sample with `channels` channels. */
export function identityAugmentation(channels: number): SampleAugmentation {
  const none = () => new Array<undefined>(channels).fill(undefined);
  return {
    mirror: [false, false, false],
    blurSigma: none(),
    brightness: none(),
    contrast: none(),
    lowResolutionZoom: none(),
    invertedGamma: none(),
    gamma: none(),
  };
}

/**
 * nnU-Net's way of drawing contrast and γ factors: half of the time below 1, half above, so
 * that shrinking and stretching are equally likely even for asymmetric ranges.
 */
function drawAroundOne(generator: RandomGenerator, [low, high]: Range): number {
  if (drawUniform(generator) < 0.5 && low < 1) return drawBetween(generator, low, 1);
  return drawBetween(generator, Math.max(low, 1), high);
}

function drawPerChannel<T>(
  generator: RandomGenerator,
  config: ChannelConfig,
  channels: number,
  draw: () => T,
): Array<T | undefined> {
  const values = new Array<T | undefined>(channels).fill(undefined);
  if (!drawChance(generator, config.probability)) return values;
  for (let c = 0; c < channels; c++) {
    if (config.channelProbability >= 1 || drawChance(generator, config.channelProbability)) {
      values[c] = draw();
    }
  }
  return values;
}

/** Draws the parameters of one sample. */
export function drawSampleAugmentation(
  generator: RandomGenerator,
  config: AugmentationConfig,
  channels: number,
): SampleAugmentation {
  const sample = identityAugmentation(channels);
  if (drawChance(generator, config.rotation.probability)) {
    const [a, b, c] = config.rotation.angles;
    sample.rotation = [
      drawBetween(generator, a[0], a[1]),
      drawBetween(generator, b[0], b[1]),
      drawBetween(generator, c[0], c[1]),
    ];
  }
  if (drawChance(generator, config.scaling.probability)) {
    sample.scale = drawBetween(generator, ...config.scaling.range);
  }
  if (drawChance(generator, config.noise.probability)) {
    sample.noiseSigma = drawBetween(generator, ...config.noise.range);
  }
  const blurRange = config.blur.range;
  sample.blurSigma = drawPerChannel(generator, config.blur, channels, () => [
    drawBetween(generator, ...blurRange),
    drawBetween(generator, ...blurRange),
    drawBetween(generator, ...blurRange),
  ]);
  sample.brightness = drawPerChannel(
    generator,
    config.brightness,
    channels,
    () => drawBetween(generator, ...config.brightness.range),
  );
  sample.contrast = drawPerChannel(
    generator,
    config.contrast,
    channels,
    () => drawAroundOne(generator, config.contrast.range),
  );
  sample.lowResolutionZoom = drawPerChannel(
    generator,
    config.lowResolution,
    channels,
    () => drawBetween(generator, ...config.lowResolution.range),
  );
  sample.invertedGamma = drawPerChannel(
    generator,
    config.invertedGamma,
    channels,
    () => drawAroundOne(generator, config.invertedGamma.range),
  );
  sample.gamma = drawPerChannel(
    generator,
    config.gamma,
    channels,
    () => drawAroundOne(generator, config.gamma.range),
  );
  // Mirroring is drawn last so that turning it on or off leaves the other draws unchanged.
  sample.mirror = [
    drawChance(generator, config.mirror[0]),
    drawChance(generator, config.mirror[1]),
    drawChance(generator, config.mirror[2]),
  ];
  return sample;
}

/**
 * Draws the parameters of a batch of `batch` samples with `channels` channels whose
 * augmented output holds `outputElements` values (for the noise stream).
 */
export function drawBatchAugmentation(
  generator: RandomGenerator,
  config: AugmentationConfig,
  batch: number,
  channels: number,
  outputElements: number,
): BatchAugmentation {
  const samples: SampleAugmentation[] = [];
  for (let n = 0; n < batch; n++) samples.push(drawSampleAugmentation(generator, config, channels));
  const noisy = samples.some((s) => s.noiseSigma !== undefined);
  return { samples, noiseStream: noisy ? generator.take(2 * outputElements) : undefined };
}
