/**
 * One-axis resampling kernels (nearest and linear), forward and backward. A tensor is
 * viewed as (outer, length, inner); trilinear resizing is three of these, one per spatial
 * axis, because its weights are a product of per-axis weights.
 *
 * Source positions follow PyTorch's `interpolate` computed in float32:
 * - nearest: `min(floor(o · in/out), in − 1)`;
 * - linear, align corners: `o · (in − 1)/(out − 1)`;
 * - linear, otherwise: `max((o + 0.5) · in/out − 0.5, 0)`;
 * then `i0 = floor(src)`, `i1 = min(i0 + 1, in − 1)`, weights `1 − λ` and `λ = src − i0`.
 *
 * The backward kernel gathers: each input position loops over the few output positions
 * whose source interval can reach it (bounds from the inverse scale, widened by one) and
 * adds their weights, so no float atomics are needed.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import { type DType, literal } from "./wgsl.ts";

/** A resampling of the middle axis of an (outer, length, inner) view. */
export interface ResampleSpec {
  /** Product of the axes before the resampled one. */
  outer: number;
  /** Input extent of the resampled axis. */
  length: number;
  /** Output extent of the resampled axis. */
  outLength: number;
  /** Product of the axes after the resampled one. */
  inner: number;
  /** Interpolation. */
  mode: "nearest" | "linear";
  /** Linear only: map the corner samples onto each other. */
  alignCorners: boolean;
  /** Element type (nearest also resamples integer label maps). */
  dtype: DType;
}

/** Invocations per workgroup of the resampling kernels. */
export const RESAMPLE_WORKGROUP = 64;

const f = (v: number) => literal(v, "f32");

/** WGSL function `source(o: u32) -> Taps` giving both taps and their weights. */
function sourceFunction(spec: ResampleSpec): string {
  const { length, outLength, mode, alignCorners } = spec;
  const last = length - 1;
  if (mode === "nearest") {
    return `struct Taps { i0: u32, i1: u32, w0: f32, w1: f32 }
fn source(o: u32) -> Taps {
  let i = min(u32(floor(f32(o) * ${f(length / outLength)})), ${last}u);
  return Taps(i, i, 1.0, 0.0);
}`;
  }
  const position = alignCorners
    ? `f32(o) * ${f(outLength > 1 ? last / (outLength - 1) : 0)}`
    : `max((f32(o) + 0.5) * ${f(length / outLength)} - 0.5, 0.0)`;
  return `struct Taps { i0: u32, i1: u32, w0: f32, w1: f32 }
fn source(o: u32) -> Taps {
  let s = ${position};
  let i0 = min(u32(s), ${last}u);
  let i1 = min(i0 + 1u, ${last}u);
  let w1 = clamp(s - f32(i0), 0.0, 1.0);
  return Taps(i0, i1, 1.0 - w1, w1);
}`;
}

function entry(total: number): { groups: number; text: string } {
  const groups = Math.ceil(total / RESAMPLE_WORKGROUP);
  const text = `@compute @workgroup_size(${RESAMPLE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${RESAMPLE_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }`;
  return { groups, text };
}

/** Forward resampling. Bindings: out, src. */
export function resampleKernel(spec: ResampleSpec): { code: string; groups: number } {
  const { outer, length, outLength, inner, dtype } = spec;
  const { groups, text } = entry(outer * outLength * inner);
  const value = spec.mode === "nearest"
    ? "src[base + t.i0 * INNER]"
    : "t.w0 * src[base + t.i0 * INNER] + t.w1 * src[base + t.i1 * INNER]";
  const code = `${sourceFunction(spec)}
@group(0) @binding(0) var<storage, read_write> out: array<${dtype}>;
@group(0) @binding(1) var<storage, read> src: array<${dtype}>;
${text}
  let j = idx % ${inner}u;
  let rest = idx / ${inner}u;
  let o = rest % ${outLength}u;
  let b = rest / ${outLength}u;
  let base = b * ${length * inner}u + j;
  let t = source(o);
  out[idx] = ${value.replaceAll("INNER", `${inner}u`)};
}
`;
  return { code, groups };
}

/** Bounds (as affine functions of the input index) of the outputs that may read it. */
function reach(spec: ResampleSpec): { slope: number; low: number; high: number } {
  const { length, outLength, mode, alignCorners } = spec;
  if (length === 1) return { slope: 0, low: 0, high: outLength };
  if (mode === "nearest") {
    const r = outLength / length;
    return { slope: r, low: 0, high: r };
  }
  if (alignCorners) {
    const r = (outLength - 1) / (length - 1);
    return { slope: r, low: -r, high: r };
  }
  const r = outLength / length;
  return { slope: r, low: -0.5 * r - 0.5, high: 1.5 * r - 0.5 };
}

/** Backward resampling of f32 gradients. Bindings: grad_in, grad_out. */
export function resampleBackwardKernel(spec: ResampleSpec): { code: string; groups: number } {
  const { outer, length, outLength, inner } = spec;
  const { groups, text } = entry(outer * length * inner);
  const { slope, low, high } = reach(spec);
  const code = `${sourceFunction(spec)}
@group(0) @binding(0) var<storage, read_write> grad_in: array<f32>;
@group(0) @binding(1) var<storage, read> grad_out: array<f32>;
${text}
  let j = idx % ${inner}u;
  let rest = idx / ${inner}u;
  let i = rest % ${length}u;
  let b = rest / ${length}u;
  let base = b * ${outLength * inner}u + j;
  let at = f32(i) * ${f(slope)};
  let lo = u32(clamp(i32(floor(at + ${f(low)})) - 1, 0, ${outLength - 1}));
  let hi = u32(clamp(i32(ceil(at + ${f(high)})) + 1, 0, ${outLength - 1}));
  var acc = 0.0;
  for (var o = lo; o <= hi; o++) {
    let t = source(o);
    let w = select(0.0, t.w0, t.i0 == i) + select(0.0, t.w1, t.i1 == i);
    if (w != 0.0) { acc += w * grad_out[base + o * ${inner}u]; }
  }
  grad_in[idx] = acc;
}
`;
  return { code, groups };
}

/**
 * Nearest resizing of all three spatial axes of (N, D, H, W, C) in one pass (one load per
 * output, rather than three one-axis passes). Bindings: out, src.
 */
export function nearest3dKernel(
  input: readonly [number, number, number, number, number],
  size: readonly [number, number, number],
  dtype: DType,
): { code: string; groups: number } {
  const [n, d, h, w, c] = input;
  const [od, oh, ow] = size;
  const { groups, text } = entry(n * od * oh * ow * c);
  const pick = (o: string, length: number, outLength: number) =>
    length === outLength
      ? o
      : `min(u32(floor(f32(${o}) * ${f(length / outLength)})), ${length - 1}u)`;
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<${dtype}>;
@group(0) @binding(1) var<storage, read> src: array<${dtype}>;
${text}
  var rest = idx;
  let ch = rest % ${c}u; rest = rest / ${c}u;
  let x = rest % ${ow}u; rest = rest / ${ow}u;
  let y = rest % ${oh}u; rest = rest / ${oh}u;
  let z = rest % ${od}u; let b = rest / ${od}u;
  let iz = ${pick("z", d, od)};
  let iy = ${pick("y", h, oh)};
  let ix = ${pick("x", w, ow)};
  out[idx] = src[(((b * ${d}u + iz) * ${h}u + iy) * ${w}u + ix) * ${c}u + ch];
}
`;
  return { code, groups };
}
