/**
 * 3-D max and average pooling kernels over channels-last volumes (N, D, H, W, C), forward
 * and backward. Backward kernels gather: one invocation per input element sums the
 * gradients of the output windows that cover it, so no float atomics are needed.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import { literal } from "./wgsl.ts";

/** Where windows sit: input and output extents plus per-axis kernel, stride and padding. */
export interface Pool3dGeometry {
  /** Input shape (N, D, H, W, C). */
  input: readonly [number, number, number, number, number];
  /** Output spatial extents (D', H', W'). */
  output: readonly [number, number, number];
  /** Window extent per spatial axis. */
  kernel: readonly [number, number, number];
  /** Step between windows per spatial axis. */
  stride: readonly [number, number, number];
  /** Implicit padding before each spatial axis (and after, as far as windows reach). */
  padding: readonly [number, number, number];
}

/** Invocations per workgroup of the pooling kernels. */
export const POOL_WORKGROUP = 64;

/** Statements decoding a flat channels-last index into n, z, y, x (i32) and c (u32). */
function decode(extents: readonly [number, number, number], channels: number): string {
  const [d, h, w] = extents;
  return `var rest = idx;
  let c = rest % ${channels}u; rest = rest / ${channels}u;
  let x = i32(rest % ${w}u); rest = rest / ${w}u;
  let y = i32(rest % ${h}u); rest = rest / ${h}u;
  let z = i32(rest % ${d}u); let n = rest / ${d}u;`;
}

function header(total: number): { groups: number; entry: string } {
  const groups = Math.ceil(total / POOL_WORKGROUP);
  const entry = `@compute @workgroup_size(${POOL_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${POOL_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }`;
  return { groups, entry };
}

/**
 * Forward pooling. Bindings: out (f32), then for max the argmax (u32, flat input index of
 * the first maximum in window order d, h, w), then the input. Average divides by the full
 * window volume (padding counted, PyTorch's `count_include_pad=True`).
 */
export function poolForwardKernel(
  geometry: Pool3dGeometry,
  kind: "max" | "avg",
): { code: string; groups: number } {
  const [n, d, h, w, c] = geometry.input;
  const [od, oh, ow] = geometry.output;
  const [kd, kh, kw] = geometry.kernel;
  const [sd, sh, sw] = geometry.stride;
  const [pd, ph, pw] = geometry.padding;
  const total = n * od * oh * ow * c;
  const { groups, entry } = header(total);
  const isMax = kind === "max";
  const update = isMax
    ? `let v = src[at];
        if (!found || v > best) { best = v; best_at = at; found = true; }`
    : `acc += src[at];`;
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
${
    isMax
      ? `@group(0) @binding(1) var<storage, read_write> argmax: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;`
      : `@group(0) @binding(1) var<storage, read> src: array<f32>;`
  }
${entry}
  ${decode([od, oh, ow], c)}
  let z0 = z * ${sd} - ${pd};
  let y0 = y * ${sh} - ${ph};
  let x0 = x * ${sw} - ${pw};
  ${isMax ? "var best = 0.0;\n  var best_at = 0u;\n  var found = false;" : "var acc = 0.0;"}
  for (var kz = 0; kz < ${kd}; kz++) {
    let iz = z0 + kz;
    if (iz < 0 || iz >= ${d}) { continue; }
    for (var ky = 0; ky < ${kh}; ky++) {
      let iy = y0 + ky;
      if (iy < 0 || iy >= ${h}) { continue; }
      let row = ((n * ${d}u + u32(iz)) * ${h}u + u32(iy)) * ${w}u;
      for (var kx = 0; kx < ${kw}; kx++) {
        let ix = x0 + kx;
        if (ix < 0 || ix >= ${w}) { continue; }
        let at = (row + u32(ix)) * ${c}u + c;
        ${update}
      }
    }
  }
  ${
    isMax
      ? "out[idx] = best;\n  argmax[idx] = best_at;"
      : `out[idx] = acc * ${literal(1 / (kd * kh * kw), "f32")};`
  }
}
`;
  return { code, groups };
}

/** WGSL computing the inclusive range of output windows along one axis that cover `i`. */
function coveringRange(axis: string, i: string, k: number, s: number, p: number, o: number) {
  // Window o covers o·s − p … o·s − p + k − 1, so o ∈ [ceil((i + p − k + 1)/s), floor((i + p)/s)].
  return `let ${axis}_reach = ${i} + ${p - k + 1};
  let ${axis}_lo = select(0, (${axis}_reach + ${s - 1}) / ${s}, ${axis}_reach > 0);
  let ${axis}_hi = min(${o - 1}, (${i} + ${p}) / ${s});`;
}

/**
 * Backward pooling as a gather over output windows. Bindings: grad_in (f32, input shape),
 * then for max the saved argmax (u32), then the output gradient.
 */
export function poolBackwardKernel(
  geometry: Pool3dGeometry,
  kind: "max" | "avg",
): { code: string; groups: number } {
  const [n, d, h, w, c] = geometry.input;
  const [od, oh, ow] = geometry.output;
  const [kd, kh, kw] = geometry.kernel;
  const [sd, sh, sw] = geometry.stride;
  const [pd, ph, pw] = geometry.padding;
  const total = n * d * h * w * c;
  const { groups, entry } = header(total);
  const isMax = kind === "max";
  const code = `
@group(0) @binding(0) var<storage, read_write> grad_in: array<f32>;
${
    isMax
      ? `@group(0) @binding(1) var<storage, read> argmax: array<u32>;
@group(0) @binding(2) var<storage, read> grad_out: array<f32>;`
      : `@group(0) @binding(1) var<storage, read> grad_out: array<f32>;`
  }
${entry}
  ${decode([d, h, w], c)}
  ${coveringRange("oz", "z", kd, sd, pd, od)}
  ${coveringRange("oy", "y", kh, sh, ph, oh)}
  ${coveringRange("ox", "x", kw, sw, pw, ow)}
  var acc = 0.0;
  for (var a = oz_lo; a <= oz_hi; a++) {
    for (var b = oy_lo; b <= oy_hi; b++) {
      let row = ((n * ${od}u + u32(a)) * ${oh}u + u32(b)) * ${ow}u;
      for (var e = ox_lo; e <= ox_hi; e++) {
        let o = (row + u32(e)) * ${c}u + c;
        ${isMax ? "if (argmax[o] == idx) { acc += grad_out[o]; }" : "acc += grad_out[o];"}
      }
    }
  }
  grad_in[idx] = acc${isMax ? "" : ` * ${literal(1 / (kd * kh * kw), "f32")}`};
}
`;
  return { code, groups };
}
