/**
 * The engine under every normalisation op: runs the statistics, apply and gradient kernels
 * of `shaders/normalization.ts` on a channels-last (B, S, C) view and records the backward,
 * splitting inputs larger than one storage binding into slabs of whole batch elements.
 * Internal to the ops; `normalization.ts` holds the public ones.
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
import { bindTensor } from "./run_kernel.ts";
import { accumulate, copyElements } from "./region_copy.ts";

/** Raised for arguments a normalisation cannot use (shapes, groups, missing statistics). */
export class NormalizationArgumentError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NormalizationArgumentError";
  }
}

/** Where the statistics come from: the input (and running averages), or fixed ones. */
export type StatsSource =
  | { kind: "batch"; running?: { mean: Tensor; variance: Tensor; momentum: number } }
  | { kind: "fixed"; mean: Tensor; variance: Tensor };

/** One normalisation: the op name, its input and view, affine, epsilon and activation. */
export interface NormCall {
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
export function normalize(call: NormCall): Tensor {
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
      if (grads.weight) gw = accumulate(gw, grads.weight);
      if (grads.bias) gb = accumulate(gb, grads.bias);
      xPart.dispose();
      gPart.dispose();
    }
    return [gx, ...(weight ? [gw] : []), ...(bias ? [gb] : [])];
  }, [x, ...slabs.map((slab) => slab.coeff), ...present(weight, bias)]);
  for (const slab of slabs) slab.coeff.dispose();
  return y;
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
