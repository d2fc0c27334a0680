/**
 * 3-D convolution over channels-last volumes with gradients, and the weight-layout
 * converters to and from PyTorch.
 *
 * Layouts: input (N, D, H, W, Cin), weight (kD, kH, kW, Cin, Cout) — output channels
 * contiguous, so kernels load them as vec4 — bias (Cout), output (N, Do, Ho, Wo, Cout).
 * A 2-D convolution is the same op with D = 1 and kD = 1.
 *
 * @module
 */

import { noGrad, recordOp } from "../autograd.ts";
import { type Binding, dispatch, flush } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import {
  type ConvAxis,
  convBiasGradKernel,
  convGatherKernel,
  type ConvGatherSpec,
  convReduceChunksKernel,
  convTapSumKernel,
  type ConvTiles,
  type ConvVariant,
  convWeightGradKernel,
  convWeightGradPlan,
  type ConvWeightGradSpec,
} from "../../shaders/conv3d.ts";
import { BindingLimitError, bindTensor } from "./run_kernel.ts";
import { permute, reshape } from "./movement.ts";
import { full } from "./creation.ts";
import {
  biasGradInSlabs,
  bindingElements,
  gatherInSlabs,
  weightGradInSlabs,
} from "./conv_split.ts";

/** A per-axis setting: one number for all three axes, or (D, H, W). */
export type Triple = number | readonly [number, number, number];

/** Options of {@link conv3d}. */
export interface Conv3dOptions {
  /** Stride per axis (default 1). */
  stride?: Triple;
  /** Zero padding per axis, on both sides (default 0). */
  padding?: Triple;
  /** Dilation per axis (default 1). */
  dilation?: Triple;
}

let variantOverride: ConvVariant | undefined;
let tileOverride: Partial<ConvTiles> | undefined;

/** Which kernel family convolutions use on the current adapter. */
export function convVariant(): ConvVariant {
  return variantOverride ?? (gpu().subgroupSize === 8 ? "subgroup" : "portable");
}

/**
 * Forces a kernel family and/or tile parameters (tests and benchmarks); `undefined`
 * restores the adapter's defaults.
 */
export function overrideConvKernels(
  variant: ConvVariant | undefined,
  tiles?: Partial<ConvTiles>,
): void {
  variantOverride = variant;
  tileOverride = tiles;
}

/** Normalises a {@link Triple} to three positive (or non-negative) integers. */
export function triple(value: Triple | undefined, fallback: number, name: string): number[] {
  const t = value === undefined
    ? [fallback, fallback, fallback]
    : typeof value === "number"
    ? [value, value, value]
    : [...value];
  if (t.length !== 3 || t.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new RangeError(`conv: ${name} must be an integer or three integers ≥ 0, got ${value}`);
  }
  return t;
}

/** Parameter buffers by content: shapes repeat every step, so each is uploaded once. */
const paramBuffers = new Map<string, GPUBuffer>();
const MAX_PARAM_BUFFERS = 256;
const PARAM_USAGE = 0x80 /* STORAGE */ | 0x08; /* COPY_DST */

/** A GPU buffer holding `params` (created on first use, then cached). */
function paramBinding(params: Int32Array): Binding {
  const key = params.join(",");
  let buffer = paramBuffers.get(key);
  if (!buffer) {
    if (paramBuffers.size >= MAX_PARAM_BUFFERS) {
      // Recorded commands may still use them: submit before destroying.
      flush();
      for (const old of paramBuffers.values()) old.destroy();
      paramBuffers.clear();
    }
    buffer = gpu().device.createBuffer({
      size: Math.max(16, params.byteLength),
      usage: PARAM_USAGE,
      mappedAtCreation: true,
    });
    new Int32Array(buffer.getMappedRange()).set(params);
    buffer.unmap();
    paramBuffers.set(key, buffer);
  }
  return { buffer, size: params.byteLength };
}

let zeros: GPUBuffer | undefined;

/** A binding of `count` zeros (the bias of a convolution without one). */
function zeroBinding(count: number): Binding {
  const bytes = Math.max(16, count * 4);
  if (!zeros || zeros.size < bytes) {
    if (zeros) {
      flush();
      zeros.destroy();
    }
    // New buffers are zero-filled.
    zeros = gpu().device.createBuffer({ size: Math.max(bytes, 4096), usage: PARAM_USAGE });
  }
  return { buffer: zeros, size: bytes };
}

function checkBinding(t: Tensor, what: string): void {
  const limit = deviceLimit("maxStorageBufferBindingSize");
  if (t.size * 4 > limit) {
    throw new BindingLimitError(
      `conv: ${what} [${t.shape}] is ${t.size * 4} bytes, over the adapter's ` +
        `${limit}-byte storage binding limit; split the batch or the volume into patches`,
    );
  }
}

/**
 * Records a gathered convolution (see `shaders/conv3d.ts`): the forward pass, the input
 * gradient and the transposed convolution are all this with different axis maps. `weight`
 * is [taps, cin, cout] contiguous. Internal to the conv ops.
 */
export function convGather(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  axes: readonly [ConvAxis, ConvAxis, ConvAxis],
  cout: number,
): Tensor {
  const [n, , , , cin] = input.shape;
  const outSize = n * axes[0].output * axes[1].output * axes[2].output * cout;
  if (outSize > 0 && cin === 0) throw new RangeError("conv: the input has no channels");
  checkBinding(weight, "weight");
  if (outSize > 0 && Math.max(input.size, outSize) > bindingElements()) {
    return gatherInSlabs(input, weight, bias, axes, cout, convGather);
  }
  const out = new Tensor([n, axes[0].output, axes[1].output, axes[2].output, cout], "f32");
  if (out.size === 0) return out;
  const variant = convVariant();
  const taps = axes[0].taps * axes[1].taps * axes[2].taps;
  const inVoxels = input.size / cin;
  if (
    variant === "subgroup" && taps > 1 && cout * taps <= TAP_SPLIT_MAX_COLUMNS &&
    inVoxels * taps * cout * 4 <= deviceLimit("maxStorageBufferBindingSize")
  ) {
    out.dispose();
    return tapSplitGather(input, weight, bias, axes, cout);
  }
  const spec: ConvGatherSpec = {
    batch: n,
    axes,
    cin,
    cout,
    variant,
    tiles: tileOverride,
  };
  const { code, workgroups, params } = convGatherKernel(spec);
  const bindings: Binding[] = [bindTensor(out), bindTensor(input), bindTensor(weight)];
  bindings.push(bias ? bindTensor(bias) : zeroBinding(cout), paramBinding(params));
  dispatch(code, bindings, workgroups);
  return out;
}

/**
 * Few output channels leave most lanes of the gather kernel idle, and each loaded input
 * value feeds only `cout` FMAs. Up to this many taps × output channels, the convolution
 * runs as a GEMM z = input · w (all taps' contributions per input voxel, on the efficient
 * wide kernel) followed by a tap sum that gathers them.
 */
const TAP_SPLIT_MAX_COLUMNS = 64;

function tapSplitGather(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  axes: readonly [ConvAxis, ConvAxis, ConvAxis],
  cout: number,
): Tensor {
  const [n, d, h, w, cin] = input.shape;
  const taps = axes[0].taps * axes[1].taps * axes[2].taps;
  const point = (extent: number): ConvAxis => ({
    output: extent,
    input: extent,
    taps: 1,
    mul: 1,
    offset: 0,
    tap: 1,
    div: 1,
  });
  // (taps, cin, cout) → (cin, taps·cout): one 1×1×1 kernel with taps·cout outputs.
  const wz = noGrad(() => {
    const flat = reshape(weight, [taps, cin, cout]);
    const swapped = permute(flat, [1, 0, 2]);
    flat.dispose();
    return swapped;
  });
  const z = convGather(input, wz, undefined, [point(d), point(h), point(w)], taps * cout);
  wz.dispose();
  const out = new Tensor([n, axes[0].output, axes[1].output, axes[2].output, cout], "f32");
  checkBinding(out, "output");
  const { code, workgroups, params } = convTapSumKernel(n, axes, cout, bias !== undefined);
  const bindings: Binding[] = [bindTensor(out), bindTensor(z)];
  if (bias) bindings.push(bindTensor(bias));
  bindings.push(paramBinding(params));
  dispatch(code, bindings, workgroups);
  z.dispose();
  return out;
}

/**
 * Records the weight gradient dW[t, cx, cg] = Σ X[map(o, t), cx]·G[o, cg] in two passes
 * (partial sums per chunk of voxel rows, then a sum over chunks), written to a new tensor
 * of `shape` through `strides` (for t, cx, cg). Internal to the conv ops.
 */
export function convWeightGrad(
  x: Tensor,
  g: Tensor,
  axes: readonly [ConvAxis, ConvAxis, ConvAxis],
  shape: readonly number[],
  strides: readonly [number, number, number],
): Tensor {
  const cx = x.shape[4];
  const cg = g.shape[4];
  const taps = axes[0].taps * axes[1].taps * axes[2].taps;
  if (g.size === 0 || x.size === 0) return full(shape, 0);
  if (Math.max(x.size, g.size) > bindingElements()) {
    return weightGradInSlabs(x, g, axes, shape, strides, convWeightGrad);
  }
  const spec: ConvWeightGradSpec = {
    batch: x.shape[0],
    axes,
    cx,
    cg,
    variant: convVariant(),
    tiles: tileOverride,
  };
  const limit = Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
  const plan = convWeightGradPlan(spec, Math.min(8 * 2 ** 20, limit));
  const partial = new Tensor([plan.chunks, plan.rows, plan.cols], "f32");
  const first = convWeightGradKernel(spec, plan);
  dispatch(
    first.code,
    [bindTensor(partial), bindTensor(x), bindTensor(g), paramBinding(first.params)],
    first.workgroups,
  );
  const out = new Tensor(shape, "f32");
  const second = convReduceChunksKernel(plan, taps, cx, cg, strides);
  dispatch(
    second.code,
    [bindTensor(out), bindTensor(partial), paramBinding(second.params)],
    second.workgroups,
  );
  partial.dispose();
  return out;
}

/**
 * The bias gradient of a channels-last convolution: the sum of `g` (N, D, H, W, C) over
 * everything but channels, in two passes (chunk sums, then their sum). Internal to the
 * conv ops.
 */
export function convBiasGrad(g: Tensor): Tensor {
  const channels = g.shape[g.rank - 1];
  const voxels = g.size / Math.max(1, channels);
  if (g.size === 0) return full([channels], 0);
  if (g.size > bindingElements()) return biasGradInSlabs(g, convBiasGrad);
  const cols = Math.ceil(channels / 4) * 4;
  const chunks = Math.max(1, Math.min(Math.ceil(voxels / 1024), Math.ceil(8192 / (cols / 4))));
  const perChunk = Math.ceil(voxels / chunks);
  const plan = { chunks: Math.ceil(voxels / perChunk), rows: 1, cols };
  const partial = new Tensor([plan.chunks, cols], "f32");
  const first = convBiasGradKernel(voxels, channels, plan);
  dispatch(
    first.code,
    [bindTensor(partial), bindTensor(g), paramBinding(first.params)],
    first.workgroups,
  );
  const out = new Tensor([channels], "f32");
  const second = convReduceChunksKernel(plan, 1, 1, channels, [0, 0, 1]);
  dispatch(
    second.code,
    [bindTensor(out), bindTensor(partial), paramBinding(second.params)],
    second.workgroups,
  );
  partial.dispose();
  return out;
}

/** Geometry of one convolution: per-axis kernel, stride, padding, dilation and extents. */
interface ConvGeometry {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  input: number[];
  output: number[];
}

function forwardAxes(geo: ConvGeometry): [ConvAxis, ConvAxis, ConvAxis] {
  const axis = (d: number): ConvAxis => ({
    output: geo.output[d],
    input: geo.input[d],
    taps: geo.kernel[d],
    mul: geo.stride[d],
    offset: -geo.padding[d],
    tap: geo.dilation[d],
    div: 1,
  });
  return [axis(0), axis(1), axis(2)];
}

function inputGradAxes(geo: ConvGeometry): [ConvAxis, ConvAxis, ConvAxis] {
  const axis = (d: number): ConvAxis => ({
    output: geo.input[d],
    input: geo.output[d],
    taps: geo.kernel[d],
    mul: 1,
    offset: geo.padding[d],
    tap: -geo.dilation[d],
    div: geo.stride[d],
  });
  return [axis(0), axis(1), axis(2)];
}

/** (kD, kH, kW, Cin, Cout) → (kD, kH, kW, Cout, Cin), as a new contiguous tensor. */
export function swapWeightChannels(weight: Tensor): Tensor {
  return permute(weight, [0, 1, 2, 4, 3]);
}

/**
 * 3-D convolution of a channels-last volume (cross-correlation, like `torch.nn.Conv3d`).
 *
 * `x` is (N, D, H, W, Cin), `weight` (kD, kH, kW, Cin, Cout), `bias` (Cout); the result is
 * (N, Do, Ho, Wo, Cout) with Do = ⌊(D + 2·pad − dil·(kD − 1) − 1) / stride⌋ + 1 per axis.
 * Gradients flow to all three.
 *
 * @example
 * ```ts
 * import { conv3d } from "./conv3d.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = randNormal([1, 8, 8, 8, 4]);
 * const w = randNormal([3, 3, 3, 4, 16]);
 * const y = conv3d(x, w, undefined, { padding: 1 }); // [1, 8, 8, 8, 16]
 * ```
 */
export function conv3d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor,
  options: Conv3dOptions = {},
): Tensor {
  if (x.rank !== 5) throw new RangeError(`conv3d: x must be (N, D, H, W, Cin), got [${x.shape}]`);
  if (weight.rank !== 5) {
    throw new RangeError(`conv3d: weight must be (kD, kH, kW, Cin, Cout), got [${weight.shape}]`);
  }
  if (x.dtype !== "f32" || weight.dtype !== "f32") throw new TypeError("conv3d needs f32");
  const cin = x.shape[4];
  const cout = weight.shape[4];
  if (weight.shape[3] !== cin) {
    throw new RangeError(
      `conv3d: x has ${cin} channels but weight [${weight.shape}] expects ${weight.shape[3]} ` +
        "(weight layout is (kD, kH, kW, Cin, Cout); convert PyTorch weights with weightFromTorchLayout)",
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) {
    throw new RangeError(`conv3d: bias must be (${cout}), got [${bias.shape}]`);
  }
  const stride = triple(options.stride, 1, "stride");
  const padding = triple(options.padding, 0, "padding");
  const dilation = triple(options.dilation, 1, "dilation");
  if (stride.some((s) => s < 1) || dilation.some((d) => d < 1)) {
    throw new RangeError("conv3d: stride and dilation must be ≥ 1");
  }
  const kernel = weight.shape.slice(0, 3);
  const input = x.shape.slice(1, 4);
  const output = input.map((s, d) =>
    Math.floor((s + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d]) + 1
  );
  if (output.some((s) => s < 1) || kernel.some((k) => k < 1)) {
    throw new RangeError(
      `conv3d: kernel [${kernel}] (dilation [${dilation}]) does not fit input [${input}] ` +
        `padded by [${padding}]`,
    );
  }
  const geo: ConvGeometry = { kernel, stride, padding, dilation, input, output };
  const out = convGather(x, weight, bias, forwardAxes(geo), cout);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return recordOp(out, "conv3d", inputs, (g) => {
    let gx: Tensor | undefined;
    let gw: Tensor | undefined;
    let gb: Tensor | undefined;
    if (x.requiresGrad) {
      const swapped = swapWeightChannels(weight);
      gx = convGather(g, swapped, undefined, inputGradAxes(geo), cin);
      swapped.dispose();
    }
    if (weight.requiresGrad) {
      gw = convWeightGrad(x, g, forwardAxes(geo), weight.shape, [cin * cout, cout, 1]);
    }
    if (bias?.requiresGrad) gb = convBiasGrad(g);
    return [gx, gw, gb];
  }, [x, weight]);
}

/**
 * Converts a PyTorch `Conv3d` weight (O, I, kD, kH, kW) to this library's layout
 * (kD, kH, kW, I, O). Returns a new tensor.
 *
 * @example
 * ```ts
 * import { weightFromTorchLayout } from "./conv3d.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const w = weightFromTorchLayout(randNormal([16, 4, 3, 3, 3])); // [3, 3, 3, 4, 16]
 * ```
 */
export function weightFromTorchLayout(w: Tensor): Tensor {
  if (w.rank !== 5) throw new RangeError(`expected (O, I, kD, kH, kW), got [${w.shape}]`);
  return permute(w, [2, 3, 4, 1, 0]);
}

/** Converts a weight (kD, kH, kW, I, O) to PyTorch's `Conv3d` layout (O, I, kD, kH, kW). */
export function weightToTorchLayout(w: Tensor): Tensor {
  if (w.rank !== 5) throw new RangeError(`expected (kD, kH, kW, I, O), got [${w.shape}]`);
  return permute(w, [4, 3, 0, 1, 2]);
}
