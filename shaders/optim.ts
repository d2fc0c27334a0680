/**
 * WGSL for optimizer updates, weight averaging and gradient clipping. Each kernel walks one
 * tensor in place. Nothing that varies between tensors or steps is baked into the text:
 * lengths come from `arrayLength` of the exactly-sized bindings, the flat workgroup index
 * from `num_workgroups`, and per-step values (learning rate, bias corrections, EMA decay,
 * clipping threshold) from a small storage buffer (`hyper`). So one pipeline per kernel
 * variant serves every parameter of every model at every step.
 *
 * @module
 */

import { foldGrid } from "./grid.ts";

/** Invocations per workgroup of the parameter-walking kernels. */
export const OPTIM_WORKGROUP = 64;
/** Consecutive elements each invocation updates (amortises the `hyper` loads). */
export const OPTIM_ELEMENTS_PER_INVOCATION = 4;

/** A kernel's source and its launch grid. */
export interface OptimKernel {
  /** WGSL source (independent of the tensor's length). */
  code: string;
  /** Workgroups per dimension for this tensor. */
  workgroups: [number, number];
}

/** Slots of the SGD `hyper` buffer. */
export const SGD_HYPER = { lr: 0, momentum: 1, dampening: 2, weightDecay: 3, length: 4 } as const;

/** Slots of the AdamW `hyper` buffer. */
export const ADAMW_HYPER = {
  lr: 0,
  beta1: 1,
  beta2: 2,
  eps: 3,
  weightDecay: 4,
  /** 1 − β₁ᵗ. */
  biasCorrection1: 5,
  /** √(1 − β₂ᵗ). */
  biasCorrection2Sqrt: 6,
  length: 7,
} as const;

const ENTRY_ARGUMENTS = "@builtin(workgroup_id) wid: vec3<u32>, " +
  "@builtin(num_workgroups) grid: vec3<u32>, @builtin(local_invocation_index) lid: u32";

/**
 * Wraps a per-element body into a kernel over the elements of binding `lengthOf`: `i` is
 * the element index and `setup` runs once per invocation (loads of `hyper`).
 */
function perElement(
  n: number,
  lengthOf: string,
  bindings: string,
  setup: string,
  body: string,
): OptimKernel {
  const per = OPTIM_ELEMENTS_PER_INVOCATION;
  const groups = Math.ceil(n / (OPTIM_WORKGROUP * per));
  const code = `${bindings}
@compute @workgroup_size(${OPTIM_WORKGROUP})
fn main(${ENTRY_ARGUMENTS}) {
  let n = arrayLength(&${lengthOf});
  let start = ((wid.y * grid.x + wid.x) * ${OPTIM_WORKGROUP}u + lid) * ${per}u;
  if (start >= n) { return; }
  ${setup}
  let end = min(start + ${per}u, n);
  for (var i = start; i < end; i++) {
    ${body}
  }
}
`;
  return { code, workgroups: foldGrid(groups) };
}

/** Which SGD variant to generate (structure, not values: those come from `hyper`). */
export interface SgdKernelOptions {
  /** Keep a momentum buffer (binding 3). */
  momentum: boolean;
  /** Nesterov look-ahead (PyTorch's formulation). */
  nesterov: boolean;
  /** First update of this buffer: it starts as the gradient, as in PyTorch. */
  firstStep: boolean;
}

/**
 * SGD in PyTorch's formulation: g ← ∇ + λp; b ← μb + (1 − τ)g (b ← g at the first step);
 * g ← g + μb (Nesterov) or b; p ← p − ηg. Bindings: param (rw), grad, hyper, buffer (rw).
 */
export function sgdKernel(n: number, options: SgdKernelOptions): OptimKernel {
  const h = SGD_HYPER;
  const bindings = `
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32>;
${options.momentum ? "@group(0) @binding(3) var<storage, read_write> buf: array<f32>;" : ""}`;
  const setup = `let lr = hyper[${h.lr}];
  let momentum = hyper[${h.momentum}];
  let dampening = hyper[${h.dampening}];
  let weight_decay = hyper[${h.weightDecay}];`;
  let momentumLines = "";
  if (options.momentum) {
    const update = options.firstStep ? "g" : "momentum * buf[i] + (1.0 - dampening) * g";
    momentumLines = `let b = ${update};
    buf[i] = b;
    ${options.nesterov ? "g = g + momentum * b;" : "g = b;"}`;
  }
  const body = `let p = param[i];
    var g = grad[i] + weight_decay * p;
    ${momentumLines}
    param[i] = p - lr * g;`;
  return perElement(n, "param", bindings, setup, body);
}

/**
 * AdamW (decoupled weight decay, bias-corrected moments) as in PyTorch:
 * p ← p(1 − ηλ); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 * p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
 * Bindings: param (rw), grad, hyper, m (rw), v (rw).
 */
export function adamwKernel(n: number): OptimKernel {
  const h = ADAMW_HYPER;
  const bindings = `
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;`;
  const setup = `let lr = hyper[${h.lr}];
  let beta1 = hyper[${h.beta1}];
  let beta2 = hyper[${h.beta2}];
  let eps = hyper[${h.eps}];
  let decay_factor = 1.0 - lr * hyper[${h.weightDecay}];
  let step_size = lr / hyper[${h.biasCorrection1}];
  let bc2_sqrt = hyper[${h.biasCorrection2Sqrt}];`;
  const body = `let g = grad[i];
    let m = beta1 * exp_avg[i] + (1.0 - beta1) * g;
    let v = beta2 * exp_avg_sq[i] + (1.0 - beta2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] = param[i] * decay_factor - step_size * m / (sqrt(v) / bc2_sqrt + eps);`;
  return perElement(n, "param", bindings, setup, body);
}

/**
 * Exponential moving average of weights: s ← s + (1 − d)(p − s), i.e. d·s + (1 − d)·p.
 * Bindings: shadow (rw), param, hyper (d at slot 0).
 */
export function emaKernel(n: number): OptimKernel {
  const bindings = `
@group(0) @binding(0) var<storage, read_write> shadow: array<f32>;
@group(0) @binding(1) var<storage, read> param: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32>;`;
  return perElement(
    n,
    "shadow",
    bindings,
    "let w = 1.0 - hyper[0];",
    "let s = shadow[i];\n    shadow[i] = s + w * (param[i] - s);",
  );
}

/** Exchanges two buffers' contents in place (EMA swap-in / swap-out). */
export function swapKernel(n: number): OptimKernel {
  const bindings = `
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;`;
  return perElement(n, "a", bindings, "", "let t = a[i];\n    a[i] = b[i];\n    b[i] = t;");
}

/** Elements summed by one workgroup of {@link sumSquaresKernel}. */
export const SUM_SQUARES_CHUNK = 4096;

/**
 * First pass of a global norm: the sum of squares of each {@link SUM_SQUARES_CHUNK}-element chunk of one tensor,
 * written at `partial[chunk]` (bind `partial` at this tensor's slot of the shared buffer).
 * Bindings: partial (rw), values.
 */
export function sumSquaresKernel(n: number): OptimKernel {
  const wg = OPTIM_WORKGROUP;
  const groups = Math.ceil(n / SUM_SQUARES_CHUNK);
  const code = `
@group(0) @binding(0) var<storage, read_write> partial: array<f32>;
@group(0) @binding(1) var<storage, read> values: array<f32>;
var<workgroup> lanes: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGUMENTS}) {
  let chunk = wid.y * grid.x + wid.x;
  let end = min((chunk + 1u) * ${SUM_SQUARES_CHUNK}u, arrayLength(&values));
  var acc = 0.0;
  for (var i = chunk * ${SUM_SQUARES_CHUNK}u + lid; i < end; i += ${wg}u) {
    let v = values[i];
    acc += v * v;
  }
  lanes[lid] = acc;
  workgroupBarrier();
  for (var width = ${wg / 2}u; width > 0u; width = width / 2u) {
    if (lid < width) { lanes[lid] += lanes[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partial[chunk] = lanes[0]; }
}
`;
  return { code, workgroups: foldGrid(groups) };
}

/**
 * Second pass: sums every partial into the norm √Σ and the clipping factor
 * min(1, maxNorm / (norm + 1e-6)). Bindings: norm (rw, 1 value), scale (rw, 1 value),
 * partial, hyper (maxNorm at slot 0).
 */
export function clipScaleKernel(): OptimKernel {
  const wg = OPTIM_WORKGROUP;
  const code = `
@group(0) @binding(0) var<storage, read_write> norm: array<f32>;
@group(0) @binding(1) var<storage, read_write> scale: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read> hyper: array<f32>;
var<workgroup> lanes: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  let count = arrayLength(&partial);
  for (var i = lid; i < count; i += ${wg}u) { acc += partial[i]; }
  lanes[lid] = acc;
  workgroupBarrier();
  for (var width = ${wg / 2}u; width > 0u; width = width / 2u) {
    if (lid < width) { lanes[lid] += lanes[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let total = sqrt(lanes[0]);
    norm[0] = total;
    scale[0] = min(1.0, hyper[0] / (total + 1e-6));
  }
}
`;
  return { code, workgroups: [1, 1] };
}

/** Multiplies a tensor in place by the single value in `scale`. Bindings: values (rw), scale. */
export function scaleInPlaceKernel(n: number): OptimKernel {
  const bindings = `
@group(0) @binding(0) var<storage, read_write> values: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;`;
  return perElement(n, "values", bindings, "let s = scale[0];", "values[i] = values[i] * s;");
}
