/**
 * Configuration of the GPU augmentation pipeline, with nnU-Net's default probabilities and
 * ranges. Every transform can be switched off (`probability: 0`) or given new ranges.
 *
 * @module
 */

/** An inclusive-exclusive range `[low, high)` a parameter is drawn from. */
export type Range = readonly [number, number];

/** Rotation about each axis (radians), drawn per axis when the sample is rotated. */
export interface RotationConfig {
  /** Probability that a sample is rotated (nnU-Net: 0.2). */
  probability: number;
  /** Angle range per axis (D, H, W), radians (nnU-Net: ±30°). */
  angles: readonly [Range, Range, Range];
}

/** A transform applied with a probability and one value drawn from a range. */
export interface RangedConfig {
  /** Probability per sample. */
  probability: number;
  /** Range of the drawn value. */
  range: Range;
}

/** A per-channel transform: a sample is chosen, then each channel with its own chance. */
export interface ChannelConfig extends RangedConfig {
  /** Probability per channel of a chosen sample (nnU-Net: 1, or 0.5 for blur and low-res). */
  channelProbability: number;
}

/** All transforms and their parameters. */
export interface AugmentationConfig {
  /** Rotation, combined with scaling into one resampling. */
  rotation: RotationConfig;
  /** Isotropic zoom factor; above 1 shows more of the volume (nnU-Net: 0.7–1.4, p 0.2). */
  scaling: RangedConfig;
  /** Probability of mirroring along each axis (D, H, W) (nnU-Net: 0.5 each). */
  mirror: readonly [number, number, number];
  /**
   * Additive Gaussian noise (nnU-Net: p 0.1, range 0–0.1). As in nnU-Net, whose option is
   * named "noise_variance", the drawn value is used as the standard deviation.
   */
  noise: RangedConfig;
  /** Gaussian blur, σ drawn per axis and channel (nnU-Net: 0.5–1, p 0.2, per channel 0.5). */
  blur: ChannelConfig;
  /** Multiplicative brightness (nnU-Net: 0.75–1.25, p 0.15). */
  brightness: ChannelConfig;
  /** Contrast about the mean, range preserved (nnU-Net: 0.75–1.25, p 0.15). */
  contrast: ChannelConfig;
  /**
   * Simulated low resolution: zoom in `range` (nnU-Net: 0.5–1, i.e. downsampling 1–2×,
   * p 0.25, per channel 0.5), nearest down, linear up.
   */
  lowResolution: ChannelConfig;
  /** Gamma on the inverted image, statistics retained (nnU-Net: 0.7–1.5, p 0.1). */
  invertedGamma: ChannelConfig;
  /** Gamma, statistics retained (nnU-Net: 0.7–1.5, p 0.3). */
  gamma: ChannelConfig;
  /** Image value where the spatial transform reads outside the patch. */
  imageFill: number;
  /** Label value where the spatial transform reads outside the patch. */
  labelFill: number;
}

/** Overrides of {@link AugmentationConfig}: each transform replaced in part or whole. */
export type AugmentationOverrides = {
  [K in keyof AugmentationConfig]?: AugmentationConfig[K] extends number ? number
    : AugmentationConfig[K] extends readonly number[] ? AugmentationConfig[K]
    : Partial<AugmentationConfig[K]>;
};

const DEGREES_30 = Math.PI / 6;

/** nnU-Net's default augmentation (its `nnUNetTrainer` training transforms). */
export const NNUNET_AUGMENTATION: Readonly<AugmentationConfig> = Object.freeze({
  rotation: {
    probability: 0.2,
    angles: [[-DEGREES_30, DEGREES_30], [-DEGREES_30, DEGREES_30], [-DEGREES_30, DEGREES_30]],
  },
  scaling: { probability: 0.2, range: [0.7, 1.4] },
  mirror: [0.5, 0.5, 0.5],
  noise: { probability: 0.1, range: [0, 0.1] },
  blur: { probability: 0.2, range: [0.5, 1], channelProbability: 0.5 },
  brightness: { probability: 0.15, range: [0.75, 1.25], channelProbability: 1 },
  contrast: { probability: 0.15, range: [0.75, 1.25], channelProbability: 1 },
  lowResolution: { probability: 0.25, range: [0.5, 1], channelProbability: 0.5 },
  invertedGamma: { probability: 0.1, range: [0.7, 1.5], channelProbability: 1 },
  gamma: { probability: 0.3, range: [0.7, 1.5], channelProbability: 1 },
  imageFill: 0,
  labelFill: 0,
} as AugmentationConfig);

/** Every transform off: a plain centre crop. */
export const NO_AUGMENTATION: Readonly<AugmentationConfig> = Object.freeze({
  ...NNUNET_AUGMENTATION,
  rotation: { ...NNUNET_AUGMENTATION.rotation, probability: 0 },
  scaling: { ...NNUNET_AUGMENTATION.scaling, probability: 0 },
  mirror: [0, 0, 0],
  noise: { ...NNUNET_AUGMENTATION.noise, probability: 0 },
  blur: { ...NNUNET_AUGMENTATION.blur, probability: 0 },
  brightness: { ...NNUNET_AUGMENTATION.brightness, probability: 0 },
  contrast: { ...NNUNET_AUGMENTATION.contrast, probability: 0 },
  lowResolution: { ...NNUNET_AUGMENTATION.lowResolution, probability: 0 },
  invertedGamma: { ...NNUNET_AUGMENTATION.invertedGamma, probability: 0 },
  gamma: { ...NNUNET_AUGMENTATION.gamma, probability: 0 },
} as AugmentationConfig);

/** Raised for an augmentation setting outside its valid range. */
export class AugmentationConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AugmentationConfigError";
  }
}

/** nnU-Net's defaults with the given overrides merged in, validated. */
export function augmentationConfig(
  overrides: AugmentationOverrides = {},
  base: Readonly<AugmentationConfig> = NNUNET_AUGMENTATION,
): AugmentationConfig {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    const override = (overrides as Record<string, unknown>)[key];
    merged[key] = override === undefined
      ? value
      : typeof value === "object" && !Array.isArray(value)
      ? { ...value, ...(override as object) }
      : override;
  }
  const config = merged as unknown as AugmentationConfig;
  validate(config);
  return config;
}

function validate(config: AugmentationConfig): void {
  const probabilities: Array<[string, number]> = [
    ["rotation.probability", config.rotation.probability],
    ["mirror[0]", config.mirror[0]],
    ["mirror[1]", config.mirror[1]],
    ["mirror[2]", config.mirror[2]],
  ];
  const ranged = ["scaling", "noise", "blur", "brightness", "contrast", "lowResolution"]
    .concat(["invertedGamma", "gamma"]) as Array<keyof AugmentationConfig>;
  for (const name of ranged) {
    const item = config[name] as RangedConfig & Partial<ChannelConfig>;
    probabilities.push([`${name}.probability`, item.probability]);
    if (item.channelProbability !== undefined) {
      probabilities.push([`${name}.channelProbability`, item.channelProbability]);
    }
    const [low, high] = item.range;
    if (!(low <= high)) {
      throw new AugmentationConfigError(`${name}.range [${low}, ${high}] must have low ≤ high`);
    }
  }
  for (const [name, p] of probabilities) {
    if (!(p >= 0 && p <= 1)) {
      throw new AugmentationConfigError(`${name} is ${p}; probabilities lie in [0, 1]`);
    }
  }
  if (config.scaling.range[0] <= 0) {
    throw new AugmentationConfigError("scaling.range must be positive");
  }
  if (config.noise.range[0] < 0) throw new AugmentationConfigError("noise.range must be ≥ 0");
  if (config.blur.range[0] <= 0) throw new AugmentationConfigError("blur.range must be > 0");
  const [zoomLow, zoomHigh] = config.lowResolution.range;
  if (zoomLow <= 0 || zoomHigh > 1) {
    throw new AugmentationConfigError(
      `lowResolution.range [${zoomLow}, ${zoomHigh}] must lie in (0, 1]`,
    );
  }
  for (const name of ["gamma", "invertedGamma"] as const) {
    if (config[name].range[0] <= 0) {
      throw new AugmentationConfigError(`${name}.range must be positive`);
    }
  }
}
