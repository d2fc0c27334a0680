/**
 * Normalisation layers' ops with gradients: instance, group, batch and layer norm, and the
 * fused instance norm + (Leaky)ReLU of the convolution blocks. All of them run the same
 * kernels (`shaders/normalization.ts`) on a channels-last (B, S, C) view of the input: one
 * pass for the statistics, one for normalise + affine + activation; the backward is one
 * reduction pass and one elementwise pass.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { foldGrid } from "../../shaders/grid.ts";
import {
  backwardReadsBias,
  type Kernel,
  normApplyKernel,
  normGradApplyKernel,
  normGradCombineKernel,
  normGradPartialKernel,
  normRunningCoeffKernel,
  type NormSpec,
  normStatsCombineKernel,
  normStatsPartialKernel,
  planChunks,
  sumOverBatchKernel,
} from "../../shaders/normalization.ts";
import { bindTensor, runElementwise } from "./run_kernel.ts";
import { copyElements } from "./region_copy.ts";

/** Raised for arguments a normalisation cannot use (shapes, groups, missing statistics). */
export class NormalizationArgumentError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NormalizationArgumentError";
  }
}

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

/** Where the statistics come from. */
type StatsSource =
  | { kind: "batch"; running?: { mean: Tensor; variance: Tensor; momentum: number } }
  | { kind: "fixed"; mean: Tensor; variance: Tensor };

interface NormCall {
  op: string;
  x: Tensor;
  view: { batch: number; rows: number; channels: number; groups: number };
  weight?: Tensor;
  bias?: Tensor;
  eps: number;
  negativeSlope?: number;
  stats: StatsSource;
}

function run(kernel: Kernel, tensors: Tensor[]): void {
  dispatch(kernel.code, tensors.map(bindTensor), [...foldGrid(kernel.groups)]);
}

function present(...ts: Array<Tensor | undefined>): Tensor[] {
  return ts.filter((t): t is Tensor => t !== undefined);
}

/** Runs a normalisation on its (B, S, C) view and records its backward. */
function normalize(call: NormCall): Tensor {
  const { x, weight, bias, stats } = call;
  gpu();
  if (x.dtype !== "f32") throw new TypeError(`${call.op} needs an f32 tensor, got ${x.dtype}`);
  if (x.size === 0) throw new NormalizationArgumentError(`${call.op}: empty input [${x.shape}]`);
  const spec: NormSpec = {
    ...call.view,
    eps: call.eps,
    hasWeight: weight !== undefined,
    hasBias: bias !== undefined,
    negativeSlope: call.negativeSlope,
  };
  if (x.size * 4 > deviceLimit("maxStorageBufferBindingSize")) return normalizeInSlabs(call, spec);
  const plan = planChunks(spec);
  const coeff = normalizeForward(spec, plan, stats, x, weight, bias);
  const y = coeff.y;
  const inputs = [x, ...present(weight, bias)];
  recordOp(y, call.op, inputs, (g) => {
    const grads = normalizeBackward(
      spec,
      plan,
      stats.kind === "fixed",
      g,
      x,
      coeff.coeff,
      weight,
      bias,
      x.requiresGrad,
    );
    return [grads.x, ...(weight ? [grads.weight] : []), ...(bias ? [grads.bias] : [])];
  }, [x, coeff.coeff, ...present(weight, bias)]);
  // The graph keeps coeff's storage alive when it saved it.
  coeff.coeff.dispose();
  return y;
}

/** Statistics (as per-(b, c) scale/shift coefficients) and the normalised output. */
function normalizeForward(
  spec: NormSpec,
  plan: ReturnType<typeof planChunks>,
  stats: StatsSource,
  x: Tensor,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
): { y: Tensor; coeff: Tensor } {
  const { batch: B, channels: C } = spec;
  const coeff = new Tensor([3, B, C], "f32");
  if (stats.kind === "batch") {
    const partial = new Tensor([2, B, plan.chunks, C], "f32");
    run(normStatsPartialKernel(spec, plan), [partial, x]);
    const running = stats.running;
    run(
      normStatsCombineKernel(spec, plan, { momentum: running?.momentum }),
      [coeff, partial, ...present(weight, running?.mean, running?.variance)],
    );
    partial.dispose();
  } else {
    run(normRunningCoeffKernel(spec), [coeff, stats.mean, stats.variance, ...present(weight)]);
  }
  const y = new Tensor(x.shape, "f32");
  run(normApplyKernel(spec), [y, x, coeff, ...present(bias)]);
  return { y, coeff };
}

/**
 * A normalisation of an input larger than one storage binding. Statistics are per element
 * of the view's batch, so slabs of whole batch elements (contiguous in the (B, S, C) view)
 * are normalised on their own, forward and backward; weight and bias gradients are summed
 * over slabs. Not possible when the statistics span the whole input (batch norm in
 * training, whose view has one batch element) or one element exceeds a binding.
 */
function normalizeInSlabs(call: NormCall, spec: NormSpec): Tensor {
  const { x, weight, bias, stats } = call;
  const limit = Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
  const element = spec.rows * spec.channels;
  // Per batch element: its values, and the partial sums and coefficients of its statistics.
  const chunks = planChunks({ ...spec, batch: 1 }).chunks;
  const footprint = Math.max(element, 2 * chunks * spec.channels, 3 * spec.channels);
  const perSlab = Math.min(spec.batch, Math.floor(limit / footprint));
  if (perSlab < 1 || (stats.kind === "batch" && stats.running)) {
    throw new NormalizationArgumentError(
      `${call.op}: input [${x.shape}] is ${x.size * 4} bytes, over the device's binding ` +
        `limit of ${limit * 4} bytes, and its statistics span more than one binding; ` +
        "use smaller patches or batches",
    );
  }
  const slabs: Array<{ first: number; count: number; coeff: Tensor }> = [];
  const y = new Tensor(x.shape, "f32");
  const slabSpec = (count: number): NormSpec => ({ ...spec, batch: count });
  const copyOut = (source: Tensor, first: number, count: number) => {
    const part = new Tensor([count, spec.rows, spec.channels], "f32");
    copyElements(source, first * element, part, 0, count * element);
    return part;
  };
  for (let first = 0; first < spec.batch; first += perSlab) {
    const count = Math.min(perSlab, spec.batch - first);
    const part = copyOut(x, first, count);
    const forward = normalizeForward(
      slabSpec(count),
      planChunks(slabSpec(count)),
      stats,
      part,
      weight,
      bias,
    );
    copyElements(forward.y, 0, y, first * element, count * element);
    forward.y.dispose();
    part.dispose();
    slabs.push({ first, count, coeff: forward.coeff });
  }
  const inputs = [x, ...present(weight, bias)];
  recordOp(y, call.op, inputs, (g) => {
    const gx = x.requiresGrad ? new Tensor(x.shape, "f32") : undefined;
    let gw: Tensor | undefined;
    let gb: Tensor | undefined;
    for (const { first, count, coeff } of slabs) {
      const xPart = copyOut(x, first, count);
      const gPart = copyOut(g, first, count);
      const s = slabSpec(count);
      const grads = normalizeBackward(
        s,
        planChunks(s),
        stats.kind === "fixed",
        gPart,
        xPart,
        coeff,
        weight,
        bias,
        gx !== undefined,
      );
      if (gx && grads.x) {
        copyElements(grads.x, 0, gx, first * element, count * element);
        grads.x.dispose();
      }
      gw = sumInto(gw, grads.weight);
      gb = sumInto(gb, grads.bias);
      xPart.dispose();
      gPart.dispose();
    }
    return [gx, ...(weight ? [gw] : []), ...(bias ? [gb] : [])];
  }, [x, ...slabs.map((slab) => slab.coeff), ...present(weight, bias)]);
  for (const slab of slabs) slab.coeff.dispose();
  return y;
}

/** `total + part` as a new tensor (both disposed); `part` alone when there is no total. */
function sumInto(total: Tensor | undefined, part: Tensor | undefined): Tensor | undefined {
  if (!part) return total;
  if (!total) return part;
  const sum = runElementwise(total.shape, "f32", [
    { tensor: total, strides: total.strides, offset: 0 },
    { tensor: part, strides: part.strides, offset: 0 },
  ], "v0 + v1");
  total.dispose();
  part.dispose();
  return sum;
}

function normalizeBackward(
  spec: NormSpec,
  plan: ReturnType<typeof planChunks>,
  constantStats: boolean,
  g: Tensor,
  x: Tensor,
  coeff: Tensor,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  wantInputGradient: boolean,
): { x?: Tensor; weight?: Tensor; bias?: Tensor } {
  const { batch: B, channels: C } = spec;
  const biasBinding = backwardReadsBias(spec) ? present(bias) : [];
  const partial = new Tensor([2, B, plan.chunks, C], "f32");
  run(normGradPartialKernel(spec, plan), [partial, x, g, coeff, ...biasBinding]);
  const sums = new Tensor([2, B, C], "f32");
  const gcoeff = new Tensor([2, B, C], "f32");
  run(
    normGradCombineKernel(spec, plan, constantStats),
    [sums, gcoeff, partial, coeff, ...present(weight)],
  );
  partial.dispose();
  const out: { x?: Tensor; weight?: Tensor; bias?: Tensor } = {};
  if (wantInputGradient) {
    out.x = new Tensor(x.shape, "f32");
    run(normGradApplyKernel(spec), [out.x, x, g, coeff, gcoeff, ...biasBinding]);
  }
  if (weight?.requiresGrad) {
    out.weight = new Tensor(weight.shape, "f32");
    run(sumOverBatchKernel(B, C, 1), [out.weight, sums]);
  }
  if (bias?.requiresGrad) {
    out.bias = new Tensor(bias.shape, "f32");
    run(sumOverBatchKernel(B, C, 0), [out.bias, sums]);
  }
  sums.dispose();
  gcoeff.dispose();
  return out;
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
