/**
 * Normalisation layers' ops with gradients: instance, group, batch and layer norm, and the
 * fused instance norm + (Leaky)ReLU of the convolution blocks. All of them run the same
 * kernels (`shaders/normalization.ts`) on a channels-last (B, S, C) view of the input: one
 * pass for the statistics, one for normalise + affine + activation; the backward is one
 * reduction pass and one elementwise pass.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";
import {
  NormalizationArgumentError,
  normalize,
  type StatsSource,
} from "./normalization_kernels.ts";

export { NormalizationArgumentError };

/** Options shared by every normalisation. */
export interface NormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** The activation fused after a normalisation. */
export type NormActivation = "leakyRelu" | "relu" | "none";

/** Options of {@link instanceNormActivation}. */
export interface NormActivationOptions extends NormOptions {
  /** Activation applied after the affine map (default `"leakyRelu"`). */
  activation?: NormActivation;
  /** Slope of LeakyReLU for negative inputs (default 0.01). */
  negativeSlope?: number;
}

/** Options of {@link batchNorm}. */
export interface BatchNormOptions extends NormOptions {
  /** Batch statistics (and running-statistics update) when true; running statistics when false. */
  training: boolean;
  /** Weight of the new batch statistics in the running update (default 0.1). */
  momentum?: number;
}

function checkAffine(op: string, name: string, t: Tensor | undefined, size: number): void {
  if (t === undefined) return;
  if (t.dtype !== "f32") throw new TypeError(`${op}: ${name} must be f32, got ${t.dtype}`);
  if (t.size !== size) {
    throw new NormalizationArgumentError(
      `${op}: ${name} of shape [${t.shape}] does not match ${size} channels`,
    );
  }
}

function spatialRows(op: string, x: Tensor, minRank: number): number {
  if (x.rank < minRank) {
    throw new NormalizationArgumentError(
      `${op} needs a channels-last input of rank ≥ ${minRank} (N, …, C), got [${x.shape}]`,
    );
  }
  return x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
}

function slopeOf(options: NormActivationOptions): number | undefined {
  const activation = options.activation ?? "leakyRelu";
  if (activation === "none") return undefined;
  if (activation === "relu") return 0;
  if (activation === "leakyRelu") return options.negativeSlope ?? 0.01;
  throw new NormalizationArgumentError(`unknown activation '${activation as string}'`);
}

/**
 * Instance norm fused with an activation, for channels-last (N, …spatial, C) inputs:
 * statistics per (n, c) over the spatial axes (biased variance, as PyTorch), then
 * act((x − μ)/σ · weight + bias). `weight` and `bias` are (C) or undefined.
 *
 * @example
 * ```ts
 * import { instanceNormActivation } from "./normalization.ts";
 * import { ones, zeros } from "./creation.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = randNormal([2, 4, 4, 4, 8]);
 * const y = instanceNormActivation(x, ones([8]), zeros([8]), { activation: "leakyRelu" });
 * ```
 */
export function instanceNormActivation(
  x: Tensor,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  options: NormActivationOptions = {},
): Tensor {
  const op = "instanceNormActivation";
  const rows = spatialRows(op, x, 3);
  const channels = x.shape[x.rank - 1];
  checkAffine(op, "weight", weight, channels);
  checkAffine(op, "bias", bias, channels);
  return normalize({
    op,
    x,
    view: { batch: x.shape[0], rows, channels, groups: channels },
    weight,
    bias,
    eps: options.eps ?? 1e-5,
    negativeSlope: slopeOf(options),
    stats: { kind: "batch" },
  });
}

/**
 * Instance norm of a channels-last (N, …spatial, C) input: per (n, c) mean and biased
 * variance over the spatial axes; optional per-channel affine (C).
 *
 * @example
 * ```ts
 * import { instanceNorm } from "./normalization.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = instanceNorm(randNormal([1, 3, 5, 7, 4]));
 * ```
 */
export function instanceNorm(
  x: Tensor,
  weight?: Tensor,
  bias?: Tensor,
  options: NormOptions = {},
): Tensor {
  return instanceNormActivation(x, weight, bias, { ...options, activation: "none" });
}

/**
 * Group norm of a channels-last (N, …spatial, C) input: statistics per (n, group) over
 * the spatial axes and the C / groups channels of the group; optional affine (C).
 *
 * @example
 * ```ts
 * import { groupNorm } from "./normalization.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = groupNorm(randNormal([2, 8, 8, 16]), 4);
 * ```
 */
export function groupNorm(
  x: Tensor,
  groups: number,
  weight?: Tensor,
  bias?: Tensor,
  options: NormOptions = {},
): Tensor {
  const op = "groupNorm";
  const rows = spatialRows(op, x, 2);
  const channels = x.shape[x.rank - 1];
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new NormalizationArgumentError(
      `groupNorm: ${groups} groups do not divide the ${channels} channels of [${x.shape}]`,
    );
  }
  checkAffine(op, "weight", weight, channels);
  checkAffine(op, "bias", bias, channels);
  return normalize({
    op,
    x,
    view: { batch: x.shape[0], rows, channels, groups },
    weight,
    bias,
    eps: options.eps ?? 1e-5,
    stats: { kind: "batch" },
  });
}

/**
 * Batch norm of a channels-last (N, …, C) input. In training it normalises with the
 * batch's statistics per channel (over N and the spatial axes) and, when running
 * statistics are given, updates them in place: mean ← (1 − m)·mean + m·μ, var ← (1 − m)·var
 * + m·σ²_unbiased (as PyTorch). In evaluation it normalises with the running statistics.
 *
 * @example
 * ```ts
 * import { batchNorm } from "./normalization.ts";
 * import { ones, zeros } from "./creation.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const mean = zeros([8]), variance = ones([8]);
 * const y = batchNorm(randNormal([4, 6, 6, 8]), mean, variance, undefined, undefined, {
 *   training: true,
 * });
 * ```
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | undefined,
  runningVar: Tensor | undefined,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  options: BatchNormOptions,
): Tensor {
  const op = "batchNorm";
  spatialRows(op, x, 2);
  const channels = x.shape[x.rank - 1];
  const rows = x.size / channels;
  checkAffine(op, "weight", weight, channels);
  checkAffine(op, "bias", bias, channels);
  checkAffine(op, "runningMean", runningMean, channels);
  checkAffine(op, "runningVar", runningVar, channels);
  if ((runningMean === undefined) !== (runningVar === undefined)) {
    throw new NormalizationArgumentError("batchNorm: give both runningMean and runningVar or none");
  }
  let stats: StatsSource;
  if (options.training) {
    if (rows < 2) {
      throw new NormalizationArgumentError(
        `batchNorm: training needs more than one value per channel, got [${x.shape}]`,
      );
    }
    stats = {
      kind: "batch",
      running: runningMean && runningVar
        ? { mean: runningMean, variance: runningVar, momentum: options.momentum ?? 0.1 }
        : undefined,
    };
  } else {
    if (!runningMean || !runningVar) {
      throw new NormalizationArgumentError("batchNorm: evaluation needs running statistics");
    }
    stats = { kind: "fixed", mean: runningMean, variance: runningVar };
  }
  return normalize({
    op,
    x,
    view: { batch: 1, rows, channels, groups: channels },
    weight,
    bias,
    eps: options.eps ?? 1e-5,
    stats,
  });
}

/**
 * Layer norm over the trailing axes given by `normalizedShape` (for example (tokens, C)
 * with `[C]`); optional elementwise affine of shape `normalizedShape`.
 *
 * @example
 * ```ts
 * import { layerNorm } from "./normalization.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = layerNorm(randNormal([10, 32]), [32]);
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor,
  bias?: Tensor,
  options: NormOptions = {},
): Tensor {
  const op = "layerNorm";
  const trailing = x.shape.slice(x.rank - normalizedShape.length);
  if (
    normalizedShape.length === 0 || normalizedShape.length > x.rank ||
    trailing.join() !== normalizedShape.join()
  ) {
    throw new NormalizationArgumentError(
      `layerNorm: normalizedShape [${normalizedShape}] is not the trailing shape of [${x.shape}]`,
    );
  }
  const channels = normalizedShape.reduce((a, b) => a * b, 1);
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && t.shape.join() !== normalizedShape.join()) {
      throw new NormalizationArgumentError(
        `layerNorm: ${name} of shape [${t.shape}] != normalizedShape [${normalizedShape}]`,
      );
    }
  }
  checkAffine(op, "weight", weight, channels);
  checkAffine(op, "bias", bias, channels);
  return normalize({
    op,
    x,
    view: { batch: x.size / channels, rows: 1, channels, groups: 1 },
    weight,
    bias,
    eps: options.eps ?? 1e-5,
    stats: { kind: "batch" },
  });
}
