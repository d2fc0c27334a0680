/**
 * Kernels of the normalisation layers (instance, group, batch and layer norm), with an
 * optional fused LeakyReLU/ReLU. Every norm is the same computation on a channels-last
 * view (B, S, C): statistics per (b, group) over the S rows × the group's channels, then an
 * affine map per channel. Instance norm is B = N, S = spatial, one channel per group; batch
 * norm is B = 1, S = N · spatial; layer norm is B = rows, S = 1, one group.
 *
 * Forward: {@link normStatsPartialKernel} (one read of x: per chunk of rows a shifted sum
 * and sum of squares → chunk mean and M2) → {@link normStatsCombineKernel} (chunks merged
 * with Chan's formula → per-channel mean, 1/σ, scale) → {@link normApplyKernel}.
 * Backward: {@link normGradPartialKernel} (one read of x and the gradient: Σ gz and
 * Σ gz·x̂ per chunk) → {@link normGradCombineKernel} → {@link normGradApplyKernel}.
 *
 * Per-channel values are read with vec4 loads when C is a multiple of 4; each invocation
 * owns one channel quad of many rows, so its per-channel constants are loaded once.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import { literal } from "./wgsl.ts";

/** A normalisation on the (B, S, C) view. */
export interface NormSpec {
  /** Independent statistics blocks (N for instance/group norm, 1 for batch norm). */
  batch: number;
  /** Rows per block (spatial positions). */
  rows: number;
  /** Channels per row. */
  channels: number;
  /** Channel groups (channels / groups channels share statistics). */
  groups: number;
  /** Added to the variance. */
  eps: number;
  /** Whether a per-channel weight is bound. */
  hasWeight: boolean;
  /** Whether a per-channel bias is bound. */
  hasBias: boolean;
  /** Slope for negative inputs of the fused activation (0 = ReLU); undefined = none. */
  negativeSlope?: number;
}

/** Workgroup size of the normalisation kernels. */
export const NORM_WORKGROUP = 64;
/** Rows each invocation of an apply kernel handles (amortises its per-channel loads). */
export const APPLY_ROWS = 16;
const MIN_CHUNK_ROWS = 32;
const TARGET_INVOCATIONS = 16384;

/** Generated WGSL and its launch size. */
export interface Kernel {
  /** WGSL source. */
  code: string;
  /** Workgroups to launch (1-D, fold with `foldGrid`). */
  groups: number;
}

/** How the rows are split for the two-stage reductions. */
export interface ChunkPlan {
  /** Chunks per block. */
  chunks: number;
  /** Rows per chunk (the last chunk may be shorter). */
  chunkRows: number;
}

/** Lanes per row: channel quads when C is a multiple of 4, else single channels. */
export function vectorWidth(channels: number): 1 | 4 {
  return channels % 4 === 0 ? 4 : 1;
}

/** Splits each block's rows into chunks so that enough invocations run in parallel. */
export function planChunks(spec: NormSpec): ChunkPlan {
  const lanes = spec.channels / vectorWidth(spec.channels);
  const wanted = Math.ceil(TARGET_INVOCATIONS / (spec.batch * lanes));
  const most = Math.ceil(spec.rows / MIN_CHUNK_ROWS);
  const first = Math.max(1, Math.min(wanted, most));
  const chunkRows = Math.ceil(spec.rows / first);
  return { chunks: Math.ceil(spec.rows / chunkRows), chunkRows };
}

function layout(spec: NormSpec) {
  const vec = vectorWidth(spec.channels);
  const lanes = spec.channels / vec;
  const type = vec === 4 ? "vec4<f32>" : "f32";
  return { vec, lanes, type };
}

function activation(spec: NormSpec, z: string): string {
  if (spec.negativeSlope === undefined) return z;
  return `select(${z} * ${literal(spec.negativeSlope, "f32")}, ${z}, ${z} > T(0.0))`;
}

function activationGrad(spec: NormSpec, z: string, g: string): string {
  if (spec.negativeSlope === undefined) return g;
  return `select(${g} * ${literal(spec.negativeSlope, "f32")}, ${g}, ${z} > T(0.0))`;
}

const F = (v: number) => literal(v, "f32");

/**
 * Whether the backward kernels bind the bias: only a fused activation needs it, to
 * recompute the pre-activation value (unused bindings would be dropped from the layout).
 */
export function backwardReadsBias(spec: NormSpec): boolean {
  return spec.hasBias && spec.negativeSlope !== undefined;
}

/**
 * Stage 1 of the statistics: per (block, chunk, channel lane) the chunk's mean and M2
 * (sum of squared deviations). Sums are taken of x − (first value of the chunk) so that a
 * large mean does not cancel the variance. Bindings: partial [2, B, chunks, C] (rw), x.
 */
export function normStatsPartialKernel(spec: NormSpec, plan: ChunkPlan): Kernel {
  const { lanes, type } = layout(spec);
  const { chunks, chunkRows } = plan;
  const total = spec.batch * chunks * lanes;
  const groups = Math.ceil(total / NORM_WORKGROUP);
  const half = total;
  const code = `alias T = ${type};
@group(0) @binding(0) var<storage, read_write> partial: array<T>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }
  let q = idx % ${lanes}u;
  let t = idx / ${lanes}u;
  let chunk = t % ${chunks}u;
  let b = t / ${chunks}u;
  let s0 = chunk * ${chunkRows}u;
  let s1 = min(${spec.rows}u, s0 + ${chunkRows}u);
  let base = b * ${spec.rows * lanes}u + q;
  let shift = x[base + s0 * ${lanes}u];
  var acc = T(0.0);
  var squares = T(0.0);
  for (var s = s0; s < s1; s++) {
    let d = x[base + s * ${lanes}u] - shift;
    acc += d;
    squares += d * d;
  }
  let n = f32(s1 - s0);
  partial[idx] = shift + acc / n;
  partial[idx + ${half}u] = max(squares - acc * acc / n, T(0.0));
}
`;
  return { code, groups };
}

/** Options of the statistics combine kernel. */
export interface CombineOptions {
  /** Update running statistics in place: `running = (1 − m)·running + m·batch`. */
  momentum?: number;
}

/**
 * Stage 2 of the statistics: per (block, group) merges the chunk partials of the group's
 * channels (Chan's parallel formula) and writes per channel coeff [3, B, C] = mean, 1/σ,
 * scale = weight/σ. With `momentum`, also updates running mean and (unbiased) variance per
 * group. Bindings: coeff (rw), partial, [weight], [runningMean (rw), runningVar (rw)].
 */
export function normStatsCombineKernel(
  spec: NormSpec,
  plan: ChunkPlan,
  options: CombineOptions = {},
): Kernel {
  const { batch: B, channels: C, groups: G } = spec;
  const perGroup = C / G;
  const { chunks, chunkRows } = plan;
  const total = B * G;
  const groups = Math.ceil(total / NORM_WORKGROUP);
  const count = spec.rows * perGroup;
  const bindings: string[] = [
    "@group(0) @binding(0) var<storage, read_write> coeff: array<f32>;",
    "@group(0) @binding(1) var<storage, read> partial: array<f32>;",
  ];
  if (spec.hasWeight) bindings.push(`@group(0) @binding(2) var<storage, read> weight: array<f32>;`);
  const running = options.momentum !== undefined;
  if (running) {
    const next = spec.hasWeight ? 3 : 2;
    bindings.push(
      `@group(0) @binding(${next}) var<storage, read_write> running_mean: array<f32>;`,
      `@group(0) @binding(${next + 1}) var<storage, read_write> running_var: array<f32>;`,
    );
  }
  const m = options.momentum ?? 0;
  const update = running
    ? `running_mean[i] = ${F(1 - m)} * running_mean[i] + ${F(m)} * mean;
  running_var[i] = ${F(1 - m)} * running_var[i] + ${F(m)} * (m2 / ${F(Math.max(count - 1, 1))});`
    : "";
  const half = B * chunks * C;
  const code = `${bindings.join("\n")}
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (i >= ${total}u) { return; }
  let b = i / ${G}u;
  let c0 = (i % ${G}u) * ${perGroup}u;
  // Means are merged relative to the first partial mean, so rounding stays at the scale
  // of the deviations rather than of the mean itself.
  let anchor = partial[b * ${chunks * C}u + c0];
  var n = 0.0;
  var delta = 0.0;
  var m2 = 0.0;
  for (var chunk = 0u; chunk < ${chunks}u; chunk++) {
    let rows = f32(min(${spec.rows}u, (chunk + 1u) * ${chunkRows}u) - chunk * ${chunkRows}u);
    let at = (b * ${chunks}u + chunk) * ${C}u;
    for (var c = c0; c < c0 + ${perGroup}u; c++) {
      let n_all = n + rows;
      let d = (partial[at + c] - anchor) - delta;
      delta += d * (rows / n_all);
      m2 += partial[at + c + ${half}u] + d * d * (n * rows / n_all);
      n = n_all;
    }
  }
  let mean = anchor + delta;
  let rstd = 1.0 / sqrt(m2 / ${F(count)} + ${F(spec.eps)});
  for (var c = c0; c < c0 + ${perGroup}u; c++) {
    let o = b * ${C}u + c;
    coeff[o] = mean;
    coeff[o + ${B * C}u] = rstd;
    coeff[o + ${2 * B * C}u] = rstd${spec.hasWeight ? " * weight[c]" : ""};
  }
  ${update}
}
`;
  return { code, groups };
}

/**
 * Coefficients from running statistics (batch norm in evaluation): coeff [3, 1, C] = mean,
 * 1/σ, weight/σ. Bindings: coeff (rw), runningMean, runningVar, [weight].
 */
export function normRunningCoeffKernel(spec: NormSpec): Kernel {
  const C = spec.channels;
  const groups = Math.ceil(C / NORM_WORKGROUP);
  const code = `@group(0) @binding(0) var<storage, read_write> coeff: array<f32>;
@group(0) @binding(1) var<storage, read> running_mean: array<f32>;
@group(0) @binding(2) var<storage, read> running_var: array<f32>;
${spec.hasWeight ? "@group(0) @binding(3) var<storage, read> weight: array<f32>;" : ""}
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (c >= ${C}u) { return; }
  let rstd = 1.0 / sqrt(running_var[c] + ${F(spec.eps)});
  coeff[c] = running_mean[c];
  coeff[c + ${C}u] = rstd;
  coeff[c + ${2 * C}u] = rstd${spec.hasWeight ? " * weight[c]" : ""};
}
`;
  return { code, groups };
}

function applyHeader(spec: NormSpec, blocks: number) {
  const { lanes } = layout(spec);
  const total = spec.batch * blocks * lanes;
  const groups = Math.ceil(total / NORM_WORKGROUP);
  const head = `@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }
  let q = idx % ${lanes}u;
  let t = idx / ${lanes}u;
  let block = t % ${blocks}u;
  let b = t / ${blocks}u;
  let at = b * ${lanes}u + q;`;
  return { head, groups, total };
}

/** `let bias = …;` for the per-channel bias lane (zero when there is none). */
function biasLoad(spec: NormSpec): string {
  return spec.hasBias ? "let bias = bias_in[q];" : "let bias = T(0.0);";
}

/**
 * y = act((x − mean)·scale + bias) for `APPLY_ROWS` rows of one channel lane per
 * invocation. Bindings: y (rw), x, coeff, [bias].
 */
export function normApplyKernel(spec: NormSpec): Kernel {
  const { lanes, type } = layout(spec);
  const B = spec.batch;
  const blocks = Math.ceil(spec.rows / APPLY_ROWS);
  const { head, groups } = applyHeader(spec, blocks);
  const code = `alias T = ${type};
@group(0) @binding(0) var<storage, read_write> y: array<T>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> coeff: array<T>;
${spec.hasBias ? "@group(0) @binding(3) var<storage, read> bias_in: array<T>;" : ""}
${head}
  let mean = coeff[at];
  let scale = coeff[at + ${2 * B * lanes}u];
  ${biasLoad(spec)}
  let s0 = block * ${APPLY_ROWS}u;
  let s1 = min(${spec.rows}u, s0 + ${APPLY_ROWS}u);
  let base = b * ${spec.rows * lanes}u + q;
  for (var s = s0; s < s1; s++) {
    let i = base + s * ${lanes}u;
    let z = (x[i] - mean) * scale + bias;
    y[i] = ${activation(spec, "z")};
  }
}
`;
  return { code, groups };
}

/**
 * Backward stage 1: per (block, chunk, channel lane) Σ gz and Σ gz·x̂, where gz is the
 * gradient before the activation and x̂ = (x − mean)/σ. Bindings: partial [2, B, chunks, C]
 * (rw), x, grad, coeff, [bias].
 */
export function normGradPartialKernel(spec: NormSpec, plan: ChunkPlan): Kernel {
  const { lanes, type } = layout(spec);
  const B = spec.batch;
  const { chunks, chunkRows } = plan;
  const total = B * chunks * lanes;
  const groups = Math.ceil(total / NORM_WORKGROUP);
  const act = spec.negativeSlope !== undefined;
  const code = `alias T = ${type};
@group(0) @binding(0) var<storage, read_write> partial: array<T>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> grad: array<T>;
@group(0) @binding(3) var<storage, read> coeff: array<T>;
${backwardReadsBias(spec) ? "@group(0) @binding(4) var<storage, read> bias_in: array<T>;" : ""}
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }
  let q = idx % ${lanes}u;
  let t = idx / ${lanes}u;
  let chunk = t % ${chunks}u;
  let b = t / ${chunks}u;
  let at = b * ${lanes}u + q;
  let mean = coeff[at];
  let rstd = coeff[at + ${B * lanes}u];
  ${act ? `let scale = coeff[at + ${2 * B * lanes}u];\n  ${biasLoad(spec)}` : ""}
  let s0 = chunk * ${chunkRows}u;
  let s1 = min(${spec.rows}u, s0 + ${chunkRows}u);
  let base = b * ${spec.rows * lanes}u + q;
  var gsum = T(0.0);
  var gxsum = T(0.0);
  for (var s = s0; s < s1; s++) {
    let i = base + s * ${lanes}u;
    let d = x[i] - mean;
    ${act ? "let z = d * scale + bias;" : ""}
    let gz = ${activationGrad(spec, "z", "grad[i]")};
    gsum += gz;
    gxsum += gz * (d * rstd);
  }
  partial[idx] = gsum;
  partial[idx + ${total}u] = gxsum;
}
`;
  return { code, groups };
}

/**
 * Backward stage 2: per (block, group) totals of Σ gz and Σ gz·x̂ per channel (written to
 * sums [2, B, C] for the weight and bias gradients) and the input-gradient coefficients
 * gcoeff [2, B, C] = −mean(w·gz·x̂)/σ, −mean(w·gz)/σ (zero when the statistics are
 * constants, as for batch norm in evaluation). Bindings: sums (rw), gcoeff (rw), partial,
 * coeff, [weight].
 */
export function normGradCombineKernel(
  spec: NormSpec,
  plan: ChunkPlan,
  constantStats: boolean,
): Kernel {
  const { batch: B, channels: C, groups: G } = spec;
  const perGroup = C / G;
  const { chunks } = plan;
  const total = B * G;
  const groups = Math.ceil(total / NORM_WORKGROUP);
  const half = B * chunks * C;
  const w = spec.hasWeight ? "weight[c]" : "1.0";
  const code = `@group(0) @binding(0) var<storage, read_write> sums: array<f32>;
@group(0) @binding(1) var<storage, read_write> gcoeff: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read> coeff: array<f32>;
${spec.hasWeight ? "@group(0) @binding(4) var<storage, read> weight: array<f32>;" : ""}
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (i >= ${total}u) { return; }
  let b = i / ${G}u;
  let c0 = (i % ${G}u) * ${perGroup}u;
  var m1 = 0.0;
  var m2 = 0.0;
  for (var c = c0; c < c0 + ${perGroup}u; c++) {
    var gsum = 0.0;
    var gxsum = 0.0;
    for (var chunk = 0u; chunk < ${chunks}u; chunk++) {
      let at = (b * ${chunks}u + chunk) * ${C}u + c;
      gsum += partial[at];
      gxsum += partial[at + ${half}u];
    }
    sums[b * ${C}u + c] = gsum;
    sums[b * ${C}u + c + ${B * C}u] = gxsum;
    m1 += ${w} * gsum;
    m2 += ${w} * gxsum;
  }
  let rstd = coeff[b * ${C}u + c0 + ${B * C}u];
  let k = ${constantStats ? "0.0" : `rstd / ${F(spec.rows * perGroup)}`};
  for (var c = c0; c < c0 + ${perGroup}u; c++) {
    gcoeff[b * ${C}u + c] = -k * m2;
    gcoeff[b * ${C}u + c + ${B * C}u] = -k * m1;
  }
}
`;
  return { code, groups };
}

/**
 * Backward stage 3: gx = gz·scale + x̂·gcoeff₀ + gcoeff₁ for `APPLY_ROWS` rows of one lane
 * per invocation. Bindings: gx (rw), x, grad, coeff, gcoeff, [bias].
 */
export function normGradApplyKernel(spec: NormSpec): Kernel {
  const { lanes, type } = layout(spec);
  const B = spec.batch;
  const blocks = Math.ceil(spec.rows / APPLY_ROWS);
  const { head, groups } = applyHeader(spec, blocks);
  const act = spec.negativeSlope !== undefined;
  const code = `alias T = ${type};
@group(0) @binding(0) var<storage, read_write> gx: array<T>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> grad: array<T>;
@group(0) @binding(3) var<storage, read> coeff: array<T>;
@group(0) @binding(4) var<storage, read> gcoeff: array<T>;
${backwardReadsBias(spec) ? "@group(0) @binding(5) var<storage, read> bias_in: array<T>;" : ""}
${head}
  let mean = coeff[at];
  let rstd = coeff[at + ${B * lanes}u];
  let scale = coeff[at + ${2 * B * lanes}u];
  let k_xhat = gcoeff[at];
  let k_one = gcoeff[at + ${B * lanes}u];
  ${act ? biasLoad(spec) : ""}
  let s0 = block * ${APPLY_ROWS}u;
  let s1 = min(${spec.rows}u, s0 + ${APPLY_ROWS}u);
  let base = b * ${spec.rows * lanes}u + q;
  for (var s = s0; s < s1; s++) {
    let i = base + s * ${lanes}u;
    let d = x[i] - mean;
    ${act ? "let z = d * scale + bias;" : ""}
    let gz = ${activationGrad(spec, "z", "grad[i]")};
    gx[i] = gz * scale + (d * rstd) * k_xhat + k_one;
  }
}
`;
  return { code, groups };
}

/**
 * Sums one half of `sums` [2, B, C] over B: out[c] = Σ_b sums[half, b, c] (the weight and
 * bias gradients). Bindings: out (rw), sums.
 */
export function sumOverBatchKernel(batch: number, channels: number, half: 0 | 1): Kernel {
  const groups = Math.ceil(channels / NORM_WORKGROUP);
  const code = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = ${flatGroupIndex(groups)} * ${NORM_WORKGROUP}u + lid;
  if (c >= ${channels}u) { return; }
  var total = 0.0;
  for (var b = 0u; b < ${batch}u; b++) {
    total += sums[${half * batch * channels}u + b * ${channels}u + c];
  }
  out[c] = total;
}
`;
  return { code, groups };
}
