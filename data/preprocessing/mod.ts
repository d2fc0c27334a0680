/**
 * Preprocessing for training and its inverse for inference: cropping, resampling,
 * normalisation, an on-disk cache of preprocessed cases, and restoring predictions to the
 * original grid.
 *
 * @example
 * ```ts ignore
 * import { planFromFingerprint, preprocessDatasetCached, restoreToOriginalGrid } from "./mod.ts";
 * const plan = planFromFingerprint(fingerprint, { channelNames: dataset.channelNames });
 * const cached = await preprocessDatasetCached(dataset, plan, "cache/Task04");
 * const { image, inversion } = await cached.load(cached.ids[0]);
 * // … predict a label map `predicted` on `image`'s grid …
 * const onOriginal = restoreToOriginalGrid(predicted, inversion, "label");
 * ```
 *
 * @module
 */

export { type ChannelFill, cropVolume, shiftedAffine, uncropVolume } from "./crop.ts";
export {
  dimsForSpacing,
  type ImageInterpolation,
  labelArrayFor,
  type LabelInterpolation,
  maxLabelValue,
  resampledAffine,
  ResampleError,
  resampleImage,
  resampleImageToSpacing,
  resampleLabel,
} from "./resample.ts";
export { NormalizationError, type NormalizationScheme, normalizeImage } from "./normalization.ts";
export {
  type IntensityKind,
  planFromFingerprint,
  planHash,
  type PlanOptions,
  type PreprocessingPlan,
  stableJson,
} from "./plan.ts";
export { type InversionRecord, preprocessCase, type PreprocessedCase } from "./preprocess_case.ts";
export {
  type PredictionKind,
  RestoreError,
  type RestoreOptions,
  restoreToOriginalGrid,
} from "./restore.ts";
export { type CacheOptions, preprocessDatasetCached, type PreprocessedDataset } from "./cache.ts";
