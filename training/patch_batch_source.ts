/**
 * A {@link BatchSource} over cases held in memory: random cases, random patches with
 * foreground oversampling, optionally augmented on the GPU. Its state (two random
 * generators) is saved with checkpoints so a resumed run draws the same batches.
 *
 * @module
 */

import { type PatchCase, PatchSampler, uploadPatchBatch } from "../data/sampling/mod.ts";
import {
  augmentationConfig,
  augmentationInputSize,
  type AugmentationOverrides,
  BatchAugmenter,
} from "../data/augmentation/mod.ts";
import type { RandomState } from "../core/mod.ts";
import type { BatchSource, TrainingBatch } from "./batch_source.ts";
import type { JsonValue } from "./checkpoint.ts";

/** Settings of a {@link PatchBatchSource}. */
export interface PatchBatchSourceOptions {
  /** Patch size (D, H, W) the network sees. */
  patchSize: [number, number, number];
  /** Patches per batch (default 2). */
  batchSize?: number;
  /** Augment on the GPU (default true); `false` for validation. */
  augment?: boolean;
  /** Changes to nnU-Net's augmentation defaults. */
  augmentation?: AugmentationOverrides;
  /** Fraction of each batch centred on foreground (default 0.33). */
  foregroundFraction?: number;
  /** Seed of the sampler and augmenter (default 0). */
  seed?: number;
}

/** Batches of random patches from in-memory cases. */
export class PatchBatchSource implements BatchSource {
  readonly cases: readonly PatchCase[];
  readonly batchSize: number;
  #sampler: PatchSampler;
  #augmenter?: BatchAugmenter;

  /** Creates a source over `cases` (each with foreground locations for oversampling). */
  constructor(cases: readonly PatchCase[], options: PatchBatchSourceOptions) {
    if (cases.length === 0) throw new RangeError("a batch source needs at least one case");
    this.cases = cases;
    this.batchSize = options.batchSize ?? 2;
    const augment = options.augment ?? true;
    const seed = options.seed ?? 0;
    // Augmented patches are sampled larger so rotations and zooms stay inside real data.
    const sampled = augment
      ? augmentationInputSize(options.patchSize, augmentationConfig(options.augmentation))
      : options.patchSize;
    this.#sampler = new PatchSampler({
      patchSize: sampled,
      foregroundFraction: options.foregroundFraction,
      seed,
    });
    if (augment) {
      this.#augmenter = new BatchAugmenter({
        outputSize: options.patchSize,
        config: options.augmentation,
        seed: seed + 1,
      });
    }
  }

  /** The next batch on the GPU. */
  next(): TrainingBatch {
    const picks = this.#sampler.chooseCases(this.batchSize, this.cases.length);
    const batch = this.#sampler.sample(picks.map((i) => this.cases[i]));
    const uploaded = uploadPatchBatch(batch);
    if (!this.#augmenter) return uploaded;
    const augmented = this.#augmenter.augment(uploaded.image, uploaded.label);
    if (augmented.image !== uploaded.image) uploaded.image.dispose();
    if (augmented.label !== uploaded.label) uploaded.label.dispose();
    return augmented;
  }

  /** Sampler and augmenter random states. */
  state(): JsonValue {
    return {
      sampler: this.#sampler.state() as unknown as JsonValue,
      augmenter: (this.#augmenter?.state() ?? null) as unknown as JsonValue,
    };
  }

  /** Restores {@link state}. */
  setState(state: JsonValue): void {
    const s = state as unknown as { sampler: RandomState; augmenter: RandomState | null };
    this.#sampler.setState(s.sampler);
    if (s.augmenter && this.#augmenter) this.#augmenter.setState(s.augmenter);
  }
}
