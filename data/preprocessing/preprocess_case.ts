/**
 * Preprocessing one case by a {@link PreprocessingPlan}: crop to nonzero, normalise,
 * resample. The result carries an {@link InversionRecord} with everything needed to put a
 * prediction back on the original grid.
 *
 * @module
 */

import { spacingFromAffine, type Vec3 } from "../geometry.ts";
import type { LoadedCase } from "../datasets/dataset.ts";
import {
  type BoundingBox,
  boxSize,
  fullBox,
  nonzeroBoundingBox,
} from "../inspection/bounding_box.ts";
import type { Volume } from "../volume.ts";
import { cropVolume } from "./crop.ts";
import { normalizeImage } from "./normalization.ts";
import type { PreprocessingPlan } from "./plan.ts";
import { dimsForSpacing, resampleImage, resampleLabel } from "./resample.ts";

/** What {@link restoreToOriginalGrid} needs to undo preprocessing. */
export interface InversionRecord {
  /** Dims of the case as loaded. */
  originalDims: Vec3;
  /** Affine of the case as loaded (row-major 4×4 as a plain list, for JSON). */
  originalAffine: number[];
  /** The crop box in the original grid (the whole volume when not cropped). */
  cropBox: BoundingBox;
  /** Dims after preprocessing (what the network sees). */
  preprocessedDims: Vec3;
}

/** A preprocessed case. */
export interface PreprocessedCase {
  /** Case identifier. */
  id: string;
  /** Normalised, resampled image (float32), with its exact affine. */
  image: Volume;
  /** Label map on the same grid, when the case has one. */
  label?: Volume;
  /** How to get back to the original grid. */
  inversion: InversionRecord;
}

/**
 * Applies a plan to one case.
 *
 * @example
 * ```ts ignore
 * import { preprocessCase } from "./preprocess_case.ts";
 * const { image, label, inversion } = preprocessCase(await dataset.load("case_1"), plan);
 * ```
 */
export function preprocessCase(loaded: LoadedCase, plan: PreprocessingPlan): PreprocessedCase {
  const original = loaded.image;
  const cropBox = plan.cropToNonzero
    ? nonzeroBoundingBox(original) ?? fullBox(original.dims)
    : fullBox(original.dims);
  const isWhole = boxSize(cropBox).every((n, axis) => n === original.dims[axis]);
  let image = isWhole ? original : cropVolume(original, cropBox);
  let label = loaded.label && (isWhole ? loaded.label : cropVolume(loaded.label, cropBox));
  image = normalizeImage(image, plan.normalization);
  if (plan.targetSpacing) {
    const dims = dimsForSpacing(image.dims, spacingFromAffine(image.affine), plan.targetSpacing);
    if (dims.some((n, axis) => n !== image.dims[axis])) {
      image = resampleImage(image, dims, plan.imageInterpolation);
      if (label) label = resampleLabel(label, dims, plan.labelInterpolation);
    }
  }
  if (label && !(label.data instanceof Uint8Array || label.data instanceof Uint16Array)) {
    // Labels leave here in a compact integer type whatever the file stored (some are float32).
    label = resampleLabel(label, label.dims, "nearest");
  }
  const inversion: InversionRecord = {
    originalDims: [...original.dims],
    originalAffine: Array.from(original.affine),
    cropBox,
    preprocessedDims: [...image.dims],
  };
  const result: PreprocessedCase = { id: loaded.id, image, inversion };
  if (label) result.label = label;
  return result;
}
