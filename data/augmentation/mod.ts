/**
 * GPU data augmentation for 3-D segmentation batches, with nnU-Net's transforms and default
 * probabilities: rotation and scaling in one resampling, mirroring, Gaussian noise and
 * blur, brightness, contrast, simulated low resolution and gamma.
 *
 * @example
 * ```ts ignore
 * import { BatchAugmenter } from "./mod.ts";
 * const augmenter = new BatchAugmenter({ outputSize: [64, 64, 64], seed: 7 });
 * const { image, label } = augmenter.augment(batchImage, batchLabel);
 * ```
 *
 * @module
 */

export {
  augmentationConfig,
  AugmentationConfigError,
  NNUNET_AUGMENTATION,
  NO_AUGMENTATION,
} from "./config.ts";
export type {
  AugmentationConfig,
  AugmentationOverrides,
  ChannelConfig,
  Range,
  RangedConfig,
  RotationConfig,
} from "./config.ts";
export {
  drawBatchAugmentation,
  drawSampleAugmentation,
  identityAugmentation,
} from "./parameters.ts";
export type { BatchAugmentation, NoiseStream, SampleAugmentation } from "./parameters.ts";
export {
  AugmentationShapeError,
  resampleAffine,
  rotationMatrix,
  spatialMatrix,
} from "./spatial.ts";
export {
  addGaussianNoise,
  adjustContrast,
  adjustGamma,
  channelStatistics,
  scaleBrightness,
} from "./intensity.ts";
export {
  gaussianBlur,
  gaussianHalfKernel,
  gaussianRadius,
  lowResolutionSize,
  simulateLowResolution,
} from "./filters.ts";
export { applyAugmentation, augmentationInputSize, BatchAugmenter } from "./pipeline.ts";
export type { AugmentedBatch, BatchAugmenterOptions } from "./pipeline.ts";
