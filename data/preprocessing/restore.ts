/**
 * Putting a prediction made on a preprocessed grid back on the case's original grid:
 * un-resample to the cropped grid, then un-crop, filling the rest with background.
 *
 * @module
 */

import type { Vec3 } from "../geometry.ts";
import { boxSize } from "../inspection/bounding_box.ts";
import type { Volume } from "../volume.ts";
import { uncropVolume } from "./crop.ts";
import type { InversionRecord } from "./preprocess_case.ts";
import { type LabelInterpolation, resampleImage, resampleLabel } from "./resample.ts";

/** What kind of prediction is being restored. */
export type PredictionKind = "label" | "probabilities";

/** Raised when a prediction does not fit its inversion record. */
export class RestoreError extends Error {
  /** See `Error`. */
  constructor(message: string) {
    super(message);
    this.name = "RestoreError";
  }
}

/** Options for {@link restoreToOriginalGrid}. */
export interface RestoreOptions {
  /** Label map resampling (default `"linear-argmax"`). Probabilities are always linear. */
  labelInterpolation?: LabelInterpolation;
}

/**
 * Maps a prediction on the preprocessed grid back to the original grid. A `"label"`
 * prediction (one channel of class values) is resampled class-wise and padded with 0; a
 * `"probabilities"` prediction (one channel per class, background first) is resampled
 * linearly and padded with background probability 1. The result has the original dims and
 * exactly the original affine.
 *
 * @throws {RestoreError} When the prediction's dims are not the preprocessed dims.
 *
 * @example
 * ```ts ignore
 * import { restoreToOriginalGrid } from "./restore.ts";
 * const labelOnOriginal = restoreToOriginalGrid(predicted, preprocessed.inversion, "label");
 * await writeVolume("case_1_pred.nii.gz", labelOnOriginal);
 * ```
 */
export function restoreToOriginalGrid(
  prediction: Volume,
  record: InversionRecord,
  kind: PredictionKind,
  options: RestoreOptions = {},
): Volume {
  if (prediction.dims.some((n, axis) => n !== record.preprocessedDims[axis])) {
    throw new RestoreError(
      `prediction has dims [${prediction.dims}] but the preprocessed case had ` +
        `[${record.preprocessedDims}]`,
    );
  }
  if (kind === "label" && prediction.channels !== 1) {
    throw new RestoreError(`a label prediction needs 1 channel, got ${prediction.channels}`);
  }
  const croppedDims: Vec3 = boxSize(record.cropBox);
  const sameDims = croppedDims.every((n, axis) => n === prediction.dims[axis]);
  let onCrop = prediction;
  if (!sameDims) {
    onCrop = kind === "label"
      ? resampleLabel(prediction, croppedDims, options.labelInterpolation ?? "linear-argmax")
      : resampleImage(prediction, croppedDims, "linear");
  }
  const fill = kind === "label"
    ? 0
    : Array.from({ length: prediction.channels }, (_, c) => (c === 0 ? 1 : 0));
  return uncropVolume(
    onCrop,
    record.cropBox,
    record.originalDims,
    Float64Array.from(record.originalAffine),
    fill,
  );
}
