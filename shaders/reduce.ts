/**
 * The reduction kernel generator (sum, max, min over any set of axes). Adjacent axes of
 * the same kind are merged first, so the usual cases (last axis, all spatial axes of a
 * channels-last volume, everything) reduce along one strided axis.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import { offsetStatements } from "./elementwise.ts";
import { type DType, literal } from "./wgsl.ts";

/** The reductions available. */
export type ReduceOp = "sum" | "max" | "min";

/** A reduction of a contiguous input over some axes. */
export interface ReduceSpec {
  /** Input shape. */
  shape: readonly number[];
  /** Axes reduced (sorted, unique). */
  axes: readonly number[];
  /** Element type (input and output). */
  dtype: DType;
  /** Which reduction. */
  op: ReduceOp;
  /** Multiplies each result (1/K for a mean). */
  scale?: number;
  /**
   * Splits each reduction into this many contiguous chunks written as separate partial
   * results (outputs × chunks); used for the first pass of a two-pass reduction.
   */
  chunks?: number;
}

/** Threads of the workgroup-per-output variant. */
export const REDUCE_WORKGROUP = 64;

/** Kept and reduced extents and strides after merging adjacent axes of the same kind. */
export function planReduction(shape: readonly number[], axes: readonly number[]): {
  keptShape: number[];
  keptStrides: number[];
  reducedShape: number[];
  reducedStrides: number[];
} {
  const reduced = new Set(axes);
  const groups: Array<{ reduce: boolean; extent: number; stride: number }> = [];
  let stride = 1;
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = groups[groups.length - 1];
    const reduce = reduced.has(d);
    if (last && last.reduce === reduce) {
      last.extent *= shape[d];
      last.stride = strides[d];
    } else groups.push({ reduce, extent: shape[d], stride: strides[d] });
  }
  const kept = groups.filter((g) => !g.reduce);
  const red = groups.filter((g) => g.reduce);
  return {
    keptShape: kept.map((g) => g.extent),
    keptStrides: kept.map((g) => g.stride),
    reducedShape: red.map((g) => g.extent),
    reducedStrides: red.map((g) => g.stride),
  };
}

function identity(op: ReduceOp, dtype: DType): string {
  if (op === "sum") return literal(0, dtype);
  if (dtype === "f32") return literal(op === "max" ? -Infinity : Infinity, "f32");
  if (dtype === "i32") return op === "max" ? "i32(-2147483648)" : "i32(2147483647)";
  return op === "max" ? "0u" : "4294967295u";
}

function combine(op: ReduceOp, a: string, b: string): string {
  return op === "sum" ? `${a} + ${b}` : `${op}(${a}, ${b})`;
}

/** WGSL source and launch shape of a reduction. */
export function reduceKernel(spec: ReduceSpec): {
  code: string;
  groups: number;
  outputs: number;
} {
  const plan = planReduction(spec.shape, spec.axes);
  const chunks = spec.chunks ?? 1;
  const outputs = plan.keptShape.reduce((a, b) => a * b, 1);
  const k = plan.reducedShape.reduce((a, b) => a * b, 1);
  const perChunk = Math.ceil(k / chunks);
  const total = outputs * chunks;
  const parallel = perChunk > 256 && total < 16384;
  const groups = parallel ? total : Math.ceil(total / REDUCE_WORKGROUP);
  const { dtype, op } = spec;
  const scale = spec.scale !== undefined && spec.scale !== 1
    ? ` * ${literal(spec.scale, dtype)}`
    : "";
  const base = offsetStatements(plan.keptShape, [plan.keptStrides], [0], ["base"], "o");
  const inner = offsetStatements(plan.reducedShape, [plan.reducedStrides], [0], ["roff"], "r");
  const header = `
@group(0) @binding(0) var<storage, read_write> out: array<${dtype}>;
@group(0) @binding(1) var<storage, read> src: array<${dtype}>;`;
  const loop = (start: string, step: string) => `
  var acc = ${identity(op, dtype)};
  let r_end = min(${k}u, (chunk + 1u) * ${perChunk}u);
  for (var r = chunk * ${perChunk}u + ${start}; r < r_end; r += ${step}) {
    ${inner}
    acc = ${combine(op, "acc", "src[base + roff]")};
  }`;
  if (!parallel) {
    const code = `${header}
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = ${flatGroupIndex(groups)} * ${REDUCE_WORKGROUP}u + lid;
  if (t >= ${total}u) { return; }
  let o = t / ${chunks}u;
  let chunk = t % ${chunks}u;
  ${base}
  ${loop("0u", "1u")}
  out[t] = acc${scale};
}
`;
    return { code, groups, outputs: total };
  }
  const code = `${header}
var<workgroup> partial: array<${dtype}, ${REDUCE_WORKGROUP}>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = ${flatGroupIndex(groups)};
  let o = t / ${chunks}u;
  let chunk = t % ${chunks}u;
  ${base}
  ${loop("lid", `${REDUCE_WORKGROUP}u`)}
  partial[lid] = acc;
  workgroupBarrier();
  for (var width = ${REDUCE_WORKGROUP / 2}u; width > 0u; width = width / 2u) {
    if (lid < width) { partial[lid] = ${combine(op, "partial[lid]", "partial[lid + width]")}; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[t] = partial[0]${scale}; }
}
`;
  return { code, groups, outputs: total };
}
