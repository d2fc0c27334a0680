/**
 * Seeded patch sampling for training, as nnU-Net does it: random patches, with a fraction
 * of each batch forced to centre on a foreground voxel of a random present class, padding
 * where the patch leaves the volume. Batches come out channels-last, ready for one upload.
 *
 * @module
 */

import { RandomGenerator, type RandomState } from "../../core/random.ts";
import { Tensor } from "../../core/tensor.ts";
import type { ForegroundLocations, LabelArray } from "./foreground.ts";
import { drawBetween, drawChance, drawIndex } from "./host_random.ts";
import { type Box3, extractImagePatch, extractLabelPatch } from "./patch.ts";

/** A preprocessed case as the sampler reads it. */
export interface PatchCase {
  /** Voxels, channel-major (C, D, H, W), W fastest. */
  image: Float32Array;
  /** Label map (D, H, W), or undefined for unlabelled data. */
  label?: LabelArray;
  /** Spatial shape (D, H, W). */
  shape: Box3;
  /** Channel count. */
  channels: number;
  /** Foreground locations per class (see `foregroundLocations`). */
  foreground?: ForegroundLocations;
  /** Case identifier, for error messages. */
  id?: string;
}

/** Options of {@link PatchSampler}. */
export interface PatchSamplerOptions {
  /** Patch size (D, H, W). */
  patchSize: Box3;
  /** Fraction of each batch centred on foreground (nnU-Net: 0.33). */
  foregroundFraction?: number;
  /**
   * `"last"` (nnU-Net): the last `batch − round(batch·(1 − fraction))` samples of a batch are
   * forced; `"random"`: each sample independently with probability `fraction`.
   */
  foregroundMode?: "last" | "random";
  /** Image value outside the volume: `"zero"` or each channel's `"minimum"`. */
  imagePadding?: "zero" | "minimum";
  /** Label value outside the volume (0, or an ignore value). */
  labelPadding?: number;
  /** Seed (default 0). */
  seed?: number;
}

/** A batch of patches on the host, channels-last. */
export interface PatchBatch {
  /** Image (N, D, H, W, C). */
  image: Float32Array;
  /** Label (N, D, H, W). */
  label: Int32Array;
  /** Batch shape (N, D, H, W, C). */
  shape: [number, number, number, number, number];
  /** Each patch's origin (may be negative) in its volume. */
  origins: Box3[];
  /** Which samples were forced onto foreground (and found some). */
  foreground: boolean[];
}

/** Raised for sampler options or cases that do not fit together. */
export class PatchSamplingError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PatchSamplingError";
  }
}

/**
 * Draws training patches from cases.
 *
 * @example
 * ```ts ignore
 * const sampler = new PatchSampler({ patchSize: [64, 64, 64], seed: 1 });
 * const batch = sampler.sample([caseA, caseB]);
 * const { image, label } = uploadPatchBatch(batch);
 * ```
 */
export class PatchSampler {
  /** Patch size (D, H, W). */
  readonly patchSize: Box3;
  /** Foreground fraction. */
  readonly foregroundFraction: number;
  /** How forced samples are chosen. */
  readonly foregroundMode: "last" | "random";
  /** Image padding. */
  readonly imagePadding: "zero" | "minimum";
  /** Label padding. */
  readonly labelPadding: number;
  #generator: RandomGenerator;
  #minimum = new WeakMap<Float32Array, Float32Array>();

  /** Creates a sampler; throws {@link PatchSamplingError} on invalid options. */
  constructor(options: PatchSamplerOptions) {
    if (!options.patchSize.every((s) => Number.isInteger(s) && s > 0)) {
      throw new PatchSamplingError(`patchSize [${options.patchSize}] must be positive integers`);
    }
    this.patchSize = [...options.patchSize] as unknown as Box3;
    this.foregroundFraction = options.foregroundFraction ?? 0.33;
    if (!(this.foregroundFraction >= 0 && this.foregroundFraction <= 1)) {
      throw new PatchSamplingError(`foregroundFraction ${this.foregroundFraction} not in [0, 1]`);
    }
    this.foregroundMode = options.foregroundMode ?? "last";
    this.imagePadding = options.imagePadding ?? "zero";
    this.labelPadding = options.labelPadding ?? 0;
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

  /** `count` case indices drawn uniformly with replacement from `caseCount` cases. */
  chooseCases(count: number, caseCount: number): number[] {
    return Array.from({ length: count }, () => drawIndex(this.#generator, caseCount));
  }

  /** Whether sample `index` of a batch of `batch` is forced onto foreground. */
  forcesForeground(index: number, batch: number): boolean {
    if (this.foregroundMode === "random") {
      return drawChance(this.#generator, this.foregroundFraction);
    }
    return index >= Math.round(batch * (1 - this.foregroundFraction));
  }

  /** One patch from each case, in order (the batch size is `cases.length`). */
  sample(cases: readonly PatchCase[]): PatchBatch {
    const [pd, ph, pw] = this.patchSize;
    const batch = cases.length;
    if (batch === 0) throw new PatchSamplingError("sample needs at least one case");
    const channels = cases[0].channels;
    const voxels = pd * ph * pw;
    const image = new Float32Array(batch * voxels * channels);
    const label = new Int32Array(batch * voxels);
    const origins: Box3[] = [];
    const foreground: boolean[] = [];
    cases.forEach((item, n) => {
      checkCase(item, channels);
      const forced = this.forcesForeground(n, batch);
      const { origin, onForeground } = this.#chooseOrigin(item, forced);
      origins.push(origin);
      foreground.push(onForeground);
      const padding = this.imagePadding === "minimum"
        ? this.#channelMinimum(item)
        : new Float32Array(channels);
      extractImagePatch(
        item.image,
        item.shape,
        channels,
        origin,
        this.patchSize,
        padding,
        image,
        n * voxels * channels,
      );
      if (item.label) {
        extractLabelPatch(
          item.label,
          item.shape,
          origin,
          this.patchSize,
          this.labelPadding,
          label,
          n * voxels,
        );
      } else label.fill(this.labelPadding, n * voxels, (n + 1) * voxels);
    });
    return { image, label, shape: [batch, pd, ph, pw, channels], origins, foreground };
  }

  #chooseOrigin(item: PatchCase, forced: boolean): { origin: Box3; onForeground: boolean } {
    // nnU-Net's bounds: patches may hang over the border by half of what is missing when the
    // volume is smaller than the patch; otherwise they stay inside.
    const lower: number[] = [], upper: number[] = [];
    for (let a = 0; a < 3; a++) {
      const missing = Math.max(this.patchSize[a] - item.shape[a], 0);
      lower.push(-Math.floor(missing / 2));
      upper.push(item.shape[a] + Math.ceil(missing / 2) - this.patchSize[a]);
    }
    const present = forced && item.foreground
      ? [...item.foreground].filter(([, at]) => at.length > 0)
      : [];
    if (present.length > 0) {
      const [, locations] = present[drawIndex(this.#generator, present.length)];
      const flat = locations[drawIndex(this.#generator, locations.length)];
      const [, height, width] = item.shape;
      const voxel = [Math.floor(flat / (height * width)), Math.floor(flat / width) % height];
      voxel.push(flat % width);
      const origin = voxel.map((v, a) =>
        Math.min(upper[a], Math.max(lower[a], v - Math.floor(this.patchSize[a] / 2)))
      ) as unknown as Box3;
      return { origin, onForeground: true };
    }
    const origin = lower.map((low, a) =>
      low +
      Math.min(upper[a] - low, Math.floor(drawBetween(this.#generator, 0, upper[a] - low + 1)))
    ) as unknown as Box3;
    return { origin, onForeground: false };
  }

  #channelMinimum(item: PatchCase): Float32Array {
    let minimum = this.#minimum.get(item.image);
    if (!minimum) {
      const volume = item.shape[0] * item.shape[1] * item.shape[2];
      minimum = new Float32Array(item.channels);
      for (let c = 0; c < item.channels; c++) {
        let low = Infinity;
        const end = (c + 1) * volume;
        for (let i = c * volume; i < end; i++) if (item.image[i] < low) low = item.image[i];
        minimum[c] = low;
      }
      this.#minimum.set(item.image, minimum);
    }
    return minimum;
  }
}

function checkCase(item: PatchCase, channels: number): void {
  const name = item.id ? `case ${item.id}` : "case";
  const voxels = item.shape[0] * item.shape[1] * item.shape[2];
  if (item.channels !== channels) {
    throw new PatchSamplingError(`${name} has ${item.channels} channels, the batch ${channels}`);
  }
  if (item.image.length !== voxels * item.channels) {
    throw new PatchSamplingError(
      `${name}: image holds ${item.image.length} values, shape [${item.shape}] × ` +
        `${item.channels} channels needs ${voxels * item.channels}`,
    );
  }
  if (item.label && item.label.length !== voxels) {
    throw new PatchSamplingError(
      `${name}: label holds ${item.label.length} values, shape [${item.shape}] needs ${voxels}`,
    );
  }
}

/**
 * Uploads a host batch: image (N, D, H, W, C) f32 and label (N, D, H, W) i32 tensors, one
 * write each, into fresh buffers (no queue flush).
 */
export function uploadPatchBatch(batch: PatchBatch): { image: Tensor; label: Tensor } {
  const [n, d, h, w] = batch.shape;
  return {
    image: Tensor.from(batch.image, batch.shape, "f32"),
    label: Tensor.from(batch.label, [n, d, h, w], "i32"),
  };
}
