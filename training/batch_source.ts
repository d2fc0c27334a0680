/**
 * Where training and validation batches come from: anything that hands out
 * (image, label) tensor pairs and can save and restore its random state.
 *
 * @module
 */

import type { Tensor } from "../core/mod.ts";
import type { JsonValue } from "./checkpoint.ts";

/** One batch: image (N, D, H, W, C) f32 and label (N, D, H, W) i32, both on the GPU. */
export interface TrainingBatch {
  /** Channels-last image patches. */
  image: Tensor;
  /** Integer label patches. */
  label: Tensor;
}

/** A stream of batches. The trainer disposes each batch after use. */
export interface BatchSource {
  /** The next batch. */
  next(): Promise<TrainingBatch> | TrainingBatch;
  /** Random state for exact resumption (JSON-safe). */
  state?(): JsonValue;
  /** Restores a state from {@link state}. */
  setState?(state: JsonValue): void;
}
