/**
 * The gathering sums of 3-D convolution: the tap sum of the few-channel path and the
 * chunked bias gradient (see `conv3d.ts`).
 *
 * @module
 */

import { type ConvAxis, type ConvKernel, PORTABLE_WORKGROUP, u32 } from "./conv3d_common.ts";
import type { ConvWeightGradPlan } from "./conv3d_weight_grad.ts";
import { foldGrid } from "./grid.ts";

/**
 * WGSL of the tap sum that finishes a convolution with few output channels computed as a
 * GEMM first: out[n, o, co] = bias[co] + Σ_t z[n, map(o, t), t·cout + co], where z holds
 * every tap's contribution per input voxel. One invocation per output element. Bindings:
 * out (rw), z, bias when `bias`, params.
 */
export function convTapSumKernel(
  batch: number,
  axes: readonly [ConvAxis, ConvAxis, ConvAxis],
  cout: number,
  bias: boolean,
): ConvKernel {
  const [ad, ah, aw] = axes;
  const taps = ad.taps * ah.taps * aw.taps;
  const total = batch * ad.output * ah.output * aw.output * cout;
  const [gx, gy] = foldGrid(Math.ceil(total / PORTABLE_WORKGROUP));
  const params = Int32Array.from([
    total,
    gx,
    cout,
    taps * cout,
    ...axes.flatMap((a) => [a.output, a.input, a.taps, a.mul, a.offset, a.tap, a.div]),
  ]);
  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);
  emit(`// conv tap sum`);
  emit(`@group(0) @binding(0) var<storage, read_write> y: array<f32>;`);
  emit(`@group(0) @binding(1) var<storage, read> z: array<f32>;`);
  if (bias) emit(`@group(0) @binding(2) var<storage, read> b: array<f32>;`);
  emit(`@group(0) @binding(${bias ? 3 : 2}) var<storage, read> p: array<i32>;`);
  emit(`@compute @workgroup_size(${PORTABLE_WORKGROUP})`);
  emit(
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, ` +
      `@builtin(local_invocation_index) lane: u32) {`,
  );
  emit(`  let e = (wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane;`);
  emit(`  if (e >= u32(p[0])) { return; }`);
  emit(`  let cout = u32(p[2]); let zc = u32(p[3]);`);
  ["d", "h", "w"].forEach((axis, a) => {
    emit(
      "  " +
        ["Out", "In", "Taps", "Mul", "Off", "Tap", "Div"].map((f, i) =>
          `let ${axis}${f} = p[${4 + 7 * a + i}];`
        ).join(" "),
    );
  });
  emit(`  let co = e % cout;`);
  emit(`  var q = e / cout;`);
  emit(`  let ow = i32(q % u32(wOut)); q = q / u32(wOut);`);
  emit(`  let oh = i32(q % u32(hOut)); q = q / u32(hOut);`);
  emit(`  let od = i32(q % u32(dOut)); let n = q / u32(dOut);`);
  emit(`  var s = ${bias ? "b[co]" : "0.0"};`);
  // Integer division is scalarised per lane on llvmpipe: only strided maps pay for it.
  const hasDiv = axes.some((a) => a.div > 1);
  const check = (v: string, axis: string) =>
    hasDiv
      ? `${v} < 0i || ${v} >= ${axis}In * ${axis}Div || ${v} % ${axis}Div != 0i`
      : `${v} < 0i || ${v} >= ${axis}In`;
  const index = (v: string, axis: string) => hasDiv ? `u32(${v} / ${axis}Div)` : `u32(${v})`;
  emit(`  for (var kd = 0i; kd < dTaps; kd++) {`);
  emit(`    let idn = od * dMul + dOff + kd * dTap;`);
  emit(`    if (${check("idn", "d")}) { continue; }`);
  emit(`    for (var kh = 0i; kh < hTaps; kh++) {`);
  emit(`      let ihn = oh * hMul + hOff + kh * hTap;`);
  emit(`      if (${check("ihn", "h")}) { continue; }`);
  emit(
    `      let rowBase = ((n * u32(dIn) + ${index("idn", "d")}) * u32(hIn) + ${
      index("ihn", "h")
    }) * u32(wIn);`,
  );
  emit(`      for (var kw = 0i; kw < wTaps; kw++) {`);
  emit(`        let iwn = ow * wMul + wOff + kw * wTap;`);
  emit(`        if (${check("iwn", "w")}) { continue; }`);
  emit(`        let t = u32((kd * hTaps + kh) * wTaps + kw);`);
  emit(`        s += z[(rowBase + ${index("iwn", "w")}) * zc + t * cout + co];`);
  emit(`      }`);
  emit(`    }`);
  emit(`  }`);
  emit(`  y[e] = s;`);
  emit(`}`);
  return { code: lines.join("\n") + "\n", workgroups: [gx, gy, 1], params };
}

/**
 * WGSL of the first pass of a bias gradient: partial[chunk, c] = Σ over one chunk of
 * voxels of g[v, c], one invocation per (chunk, vec4 of channels). The second pass is
 * {@link convReduceChunksKernel} with one tap and one row. Bindings: partial (rw, chunks ×
 * cols), g, params.
 */
export function convBiasGradKernel(
  voxels: number,
  channels: number,
  plan: ConvWeightGradPlan,
): ConvKernel {
  const groups = plan.cols / 4;
  const total = plan.chunks * groups;
  const perChunk = Math.ceil(voxels / plan.chunks);
  const [gx, gy] = foldGrid(Math.ceil(total / PORTABLE_WORKGROUP));
  const vec = channels % 4 === 0;
  const params = Int32Array.from([total, gx, groups, channels, voxels, perChunk]);
  const load = vec
    ? `g[(v * c + c0) / 4u]`
    : `vec4<f32>(${
      [0, 1, 2, 3].map((e) => `select(0.0, g[v * c + min(c0 + ${e}u, c - 1u)], c0 + ${e}u < c)`)
        .join(", ")
    })`;
  const code = `// conv bias gradient: chunk sums
@group(0) @binding(0) var<storage, read_write> part: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> g: ${vec ? "array<vec4<f32>>" : "array<f32>"};
@group(0) @binding(2) var<storage, read> p: array<i32>;
@compute @workgroup_size(${PORTABLE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let e = (wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane;
  if (e >= u32(p[0])) { return; }
  let groups = u32(p[2]); let c = u32(p[3]); let voxels = u32(p[4]); let perChunk = u32(p[5]);
  let chunk = e / groups;
  let c0 = (e % groups) * 4u;
  let v0 = chunk * perChunk;
  let v1 = min(v0 + perChunk, voxels);
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var v = v0;
  for (; v + 1u < v1; v += 2u) {
    s0 += ${load};
    { let v = v + 1u; s1 += ${load}; }
  }
  if (v < v1) { s0 += ${load}; }
  part[e] = s0 + s1;
}
`;
  return { code, workgroups: [gx, gy, 1], params };
}
