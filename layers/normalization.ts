/**
 * Normalisation layers over channels-last inputs (N, …spatial, C): instance, group,
 * batch and layer norm, with PyTorch's parameter and buffer names
 * (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import { full } from "../core/ops/creation.ts";
import { batchNorm, groupNorm, instanceNorm, layerNorm } from "../core/ops/normalization.ts";
import type { HostTensor } from "../core/serialize/host_tensor.ts";
import { Module } from "./module.ts";
import { LayerArgumentError } from "./errors.ts";
import { positiveInteger } from "./linear.ts";

function positiveNumber(layer: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new LayerArgumentError(`${layer}: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

/** Settings of {@link InstanceNorm}. */
export interface InstanceNormLayerOptions {
  /** Channels C. */
  numFeatures: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-channel scale and shift (default false, as PyTorch; nnU-Net uses true). */
  affine?: boolean;
}

/**
 * Instance norm: statistics per sample and channel over the spatial axes.
 *
 * @example
 * ```ts
 * import { InstanceNorm } from "./normalization.ts";
 * const norm = new InstanceNorm({ numFeatures: 32, affine: true });
 * ```
 */
export class InstanceNorm extends Module {
  /** Channels. */
  readonly numFeatures: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** Scale (C), when affine. */
  readonly weight?: Tensor;
  /** Shift (C), when affine. */
  readonly bias?: Tensor;

  /** Creates the layer (scale 1, shift 0). */
  constructor(options: InstanceNormLayerOptions) {
    super();
    this.numFeatures = positiveInteger("InstanceNorm", "numFeatures", options.numFeatures);
    this.eps = positiveNumber("InstanceNorm", "eps", options.eps ?? 1e-5);
    if (options.affine ?? false) {
      this.weight = this.registerParameter("weight", full([this.numFeatures], 1));
      this.bias = this.registerParameter("bias", full([this.numFeatures], 0));
    }
  }

  /** Normalises x (N, …spatial, C). */
  forward(x: Tensor): Tensor {
    checkChannels("InstanceNorm", x, this.numFeatures);
    return instanceNorm(x, this.weight, this.bias, { eps: this.eps });
  }
}

/** Settings of {@link GroupNorm}. */
export interface GroupNormLayerOptions {
  /** Groups the channels are split into (must divide them). */
  numGroups: number;
  /** Channels C. */
  numChannels: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-channel scale and shift (default true, as PyTorch). */
  affine?: boolean;
}

/** Group norm: statistics per sample and group of channels over the spatial axes. */
export class GroupNorm extends Module {
  /** Groups. */
  readonly numGroups: number;
  /** Channels. */
  readonly numChannels: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** Scale (C), when affine. */
  readonly weight?: Tensor;
  /** Shift (C), when affine. */
  readonly bias?: Tensor;

  /** Creates the layer (scale 1, shift 0). */
  constructor(options: GroupNormLayerOptions) {
    super();
    this.numGroups = positiveInteger("GroupNorm", "numGroups", options.numGroups);
    this.numChannels = positiveInteger("GroupNorm", "numChannels", options.numChannels);
    if (this.numChannels % this.numGroups !== 0) {
      throw new LayerArgumentError(
        `GroupNorm: ${this.numGroups} groups do not divide ${this.numChannels} channels`,
      );
    }
    this.eps = positiveNumber("GroupNorm", "eps", options.eps ?? 1e-5);
    if (options.affine ?? true) {
      this.weight = this.registerParameter("weight", full([this.numChannels], 1));
      this.bias = this.registerParameter("bias", full([this.numChannels], 0));
    }
  }

  /** Normalises x (N, …spatial, C). */
  forward(x: Tensor): Tensor {
    checkChannels("GroupNorm", x, this.numChannels);
    return groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }
}

/** Settings of {@link BatchNorm}. */
export interface BatchNormLayerOptions {
  /** Channels C. */
  numFeatures: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true). */
  trackRunningStats?: boolean;
}

/**
 * Batch norm: batch statistics per channel in training (updating the running mean and
 * unbiased variance), running statistics in evaluation.
 */
export class BatchNorm extends Module {
  /** Channels. */
  readonly numFeatures: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** Running-statistics momentum. */
  readonly momentum: number;
  /** Scale (C), when affine. */
  readonly weight?: Tensor;
  /** Shift (C), when affine. */
  readonly bias?: Tensor;
  /** Running mean (C), when tracked. */
  readonly runningMean?: Tensor;
  /** Running variance (C), when tracked. */
  readonly runningVar?: Tensor;
  #batchesTracked = 0;

  /** Creates the layer (scale 1, shift 0, running mean 0, running variance 1). */
  constructor(options: BatchNormLayerOptions) {
    super();
    const c = positiveInteger("BatchNorm", "numFeatures", options.numFeatures);
    this.numFeatures = c;
    this.eps = positiveNumber("BatchNorm", "eps", options.eps ?? 1e-5);
    const momentum = options.momentum ?? 0.1;
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
      throw new LayerArgumentError(`BatchNorm: momentum must be in [0, 1], got ${momentum}`);
    }
    this.momentum = momentum;
    if (options.affine ?? true) {
      this.weight = this.registerParameter("weight", full([c], 1));
      this.bias = this.registerParameter("bias", full([c], 0));
    }
    if (options.trackRunningStats ?? true) {
      this.runningMean = this.registerBuffer("running_mean", full([c], 0));
      this.runningVar = this.registerBuffer("running_var", full([c], 1));
      this.registerExtraState("num_batches_tracked", {
        shape: [],
        dtype: "I64",
        save: (): Promise<HostTensor> =>
          Promise.resolve({
            dtype: "I64",
            shape: [],
            data: new BigInt64Array([BigInt(this.#batchesTracked)]),
          }),
        load: (value: HostTensor): void => {
          this.#batchesTracked = Number(value.data[0]);
        },
      });
    }
  }

  /** Training batches seen (PyTorch's `num_batches_tracked`). */
  get batchesTracked(): number {
    return this.#batchesTracked;
  }

  /** Normalises x (N, …, C). */
  forward(x: Tensor): Tensor {
    checkChannels("BatchNorm", x, this.numFeatures);
    const useBatch = this.training || !this.runningMean;
    const y = batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatch,
      momentum: this.momentum,
      eps: this.eps,
    });
    if (this.training && this.runningMean) this.#batchesTracked++;
    return y;
  }
}

/** Settings of {@link LayerNorm}. */
export interface LayerNormLayerOptions {
  /** The trailing shape normalised over (a number for one axis). */
  normalizedShape: number | readonly number[];
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an elementwise scale and shift (default true). */
  elementwiseAffine?: boolean;
}

/** Layer norm over the trailing `normalizedShape` axes. */
export class LayerNorm extends Module {
  /** Normalised trailing shape. */
  readonly normalizedShape: readonly number[];
  /** Variance epsilon. */
  readonly eps: number;
  /** Scale, when affine. */
  readonly weight?: Tensor;
  /** Shift, when affine. */
  readonly bias?: Tensor;

  /** Creates the layer (scale 1, shift 0). */
  constructor(options: LayerNormLayerOptions) {
    super();
    const shape = typeof options.normalizedShape === "number"
      ? [options.normalizedShape]
      : [...options.normalizedShape];
    if (!shape.length) throw new LayerArgumentError("LayerNorm: normalizedShape is empty");
    shape.forEach((s) => positiveInteger("LayerNorm", "normalizedShape", s));
    this.normalizedShape = Object.freeze(shape);
    this.eps = positiveNumber("LayerNorm", "eps", options.eps ?? 1e-5);
    if (options.elementwiseAffine ?? true) {
      this.weight = this.registerParameter("weight", full(shape, 1));
      this.bias = this.registerParameter("bias", full(shape, 0));
    }
  }

  /** Normalises x over its trailing axes. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }
}

function checkChannels(layer: string, x: Tensor, channels: number): void {
  if (x.rank < 2 || x.shape[x.rank - 1] !== channels) {
    throw new LayerArgumentError(
      `${layer}(${channels}) expects channels-last input (N, …, ${channels}), got [${x.shape}]`,
    );
  }
}
