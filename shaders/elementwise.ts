/**
 * The elementwise kernel generator: one output element per invocation, each operand read
 * through baked strides (0 on broadcast axes) and an offset, and the output written
 * through its own strides, so broadcasting, permutes, slices and concatenation all use it.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import type { DType } from "./wgsl.ts";

/** One tensor read by an elementwise kernel. */
export interface StridedOperand {
  /** Element type. */
  dtype: DType;
  /** Element strides per output axis (0 where the operand is broadcast). */
  strides: readonly number[];
  /** Element offset of the first element. */
  offset: number;
}

/** What an elementwise kernel computes. */
export interface ElementwiseSpec {
  /** The iteration (output) shape. */
  shape: readonly number[];
  /** Output element type. */
  outDtype: DType;
  /** Output strides per axis; contiguous when omitted. */
  outStrides?: readonly number[];
  /** Output element offset. */
  outOffset?: number;
  /** Operands, visible in `expression` as `v0`, `v1`, … (their loaded values). */
  operands: readonly StridedOperand[];
  /** A WGSL expression of type `outDtype`; may also use `idx` (the flat output index). */
  expression: string;
  /** Extra WGSL functions the expression calls. */
  prelude?: string;
  /**
   * The expression is also valid when the operands are 4-vectors (plain arithmetic, no
   * `select` or comparisons); contiguous launches then move 4 elements per invocation.
   */
  vectorizable?: boolean;
  /**
   * Runs only flat indices `[chunk.start, chunk.start + chunk.count)`: the output and the
   * operands listed in `chunk.local` are bound as windows starting at that index (for
   * tensors larger than one binding); the other operands are addressed globally.
   */
  chunk?: { start: number; count: number; local: readonly number[] };
}

/** Workgroup size of elementwise kernels over many elements. */
export const ELEMENTWISE_WORKGROUP = 256;

/** Small launches use small workgroups: on llvmpipe idle invocations still cost time. */
function workgroupSizeFor(n: number): number {
  return n <= 64 ? 8 : n <= 4096 ? 64 : ELEMENTWISE_WORKGROUP;
}

/** Contiguous (row-major) strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Merges adjacent axes that every operand (and the output) walks contiguously, and drops
 * axes of extent 1, so most kernels index with one multiply-add per operand.
 */
export function collapseAxes(
  shape: readonly number[],
  strideSets: ReadonlyArray<readonly number[]>,
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 &&
      strideSets.every((s, k) => outStrides[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strideSets.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strideSets.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** WGSL statements declaring `coords` offsets: `let o{k} = …;` for each stride set. */
export function offsetStatements(
  shape: readonly number[],
  strideSets: ReadonlyArray<readonly number[]>,
  offsets: readonly number[],
  names: readonly string[],
  flat = "idx",
): string {
  const lines: string[] = [];
  const terms: string[][] = strideSets.map((_, k) => (offsets[k] ? [`${offsets[k]}u`] : []));
  // Negative strides (flips) subtract; u32 arithmetic wraps, and the sum is in range.
  const term = (coord: string, stride: number) =>
    stride === 1
      ? coord
      : stride > 0
      ? `${coord} * ${stride}u`
      : stride < 0
      ? `- ${coord} * ${-stride}u`
      : "";
  if (shape.length === 1) {
    strideSets.forEach((s, k) => terms[k].push(term(flat, s[0])));
  } else if (shape.length > 1) {
    lines.push(`var rest = ${flat};`);
    for (let d = shape.length - 1; d >= 0; d--) {
      const coord = `c${d}`;
      if (d > 0) {
        lines.push(`let ${coord} = rest % ${shape[d]}u; rest = rest / ${shape[d]}u;`);
      } else lines.push(`let ${coord} = rest;`);
      strideSets.forEach((s, k) => terms[k].push(term(coord, s[d])));
    }
  }
  names.forEach((name, k) => {
    const t = terms[k].filter((x) => x !== "");
    const sum = t.map((
      x,
      i,
    ) => (i === 0 ? (x.startsWith("-") ? `0u ${x}` : x) : x.startsWith("-") ? ` ${x}` : ` + ${x}`))
      .join("");
    lines.push(`let ${name} = ${t.length ? sum : "0u"};`);
  });
  return lines.join("\n    ");
}

/** WGSL source and launch size of an elementwise kernel. */
export function elementwiseKernel(spec: ElementwiseSpec): { code: string; groups: number } {
  const n = elementCount(spec.shape);
  const outStrides = spec.outStrides ?? contiguousStrides(spec.shape);
  const strideSets = [outStrides, ...spec.operands.map((o) => o.strides)];
  const { shape, strides } = collapseAxes(spec.shape, strideSets);
  const offsets = [spec.outOffset ?? 0, ...spec.operands.map((o) => o.offset)];
  const names = ["out_at", ...spec.operands.map((_, k) => `in${k}_at`)];
  if (spec.vectorizable && !spec.prelude && !spec.chunk) {
    const vector = vectorKernel(spec, n, shape, strides, offsets);
    if (vector) return vector;
  }
  const chunk = spec.chunk;
  const launched = chunk ? chunk.count : n;
  const size = workgroupSizeFor(launched);
  const groups = Math.ceil(launched / size);
  const bindings = spec.operands.map((o, k) =>
    `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<${o.dtype}>;`
  );
  const loads = spec.operands.map((_, k) => `let v${k} = in${k}[in${k}_at];`);
  // In a chunk, windowed tensors are indexed by the local index, the rest globally.
  const global = chunk ? names.map((_, k) => k > 0 && !chunk.local.includes(k - 1)) : [];
  const addressing = chunk
    ? `${
      offsetStatements(
        shape,
        strides.filter((_, k) => global[k]),
        offsets.filter((_, k) => global[k]),
        names.filter((_, k) => global[k]),
        "idx",
      )
    }
    ${names.filter((_, k) => !global[k]).map((name) => `let ${name} = local_idx;`).join("\n    ")}`
    : offsetStatements(shape, strides, offsets, names);
  const code = `${spec.prelude ?? ""}
@group(0) @binding(0) var<storage, read_write> out: array<${spec.outDtype}>;
${bindings.join("\n")}
@compute @workgroup_size(${size})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let local_idx = ${flatGroupIndex(groups)} * ${size}u + lid;
  if (local_idx >= ${launched}u) { return; }
  // \`idx\` is the flat output index (global even when this launch covers one chunk).
  let idx = local_idx + ${chunk ? chunk.start : 0}u;
    ${addressing}
    ${loads.join("\n    ")}
  out[out_at] = ${spec.expression};
}
`;
  return { code, groups };
}

/** The 4-wide variant for contiguous launches, or undefined when it does not apply. */
function vectorKernel(
  spec: ElementwiseSpec,
  n: number,
  shape: readonly number[],
  strides: readonly number[][],
  offsets: readonly number[],
): { code: string; groups: number } | undefined {
  const contiguous = shape.length === 1 && n % 4 === 0 && n >= 1024 &&
    strides.every((s) => s[0] === 1 || s[0] === 0) && strides[0][0] === 1 &&
    offsets.every((o, k) => o % 4 === 0 || strides[k][0] === 0);
  if (!contiguous) return undefined;
  const n4 = n / 4;
  const size = ELEMENTWISE_WORKGROUP;
  const groups = Math.ceil(n4 / size);
  const bindings = spec.operands.map((o, k) => {
    const vec = strides[k + 1][0] === 1;
    const type = vec ? `vec4<${o.dtype}>` : o.dtype;
    return `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<${type}>;`;
  });
  const loads = spec.operands.map((o, k) =>
    strides[k + 1][0] === 1
      ? `let v${k} = in${k}[${offsets[k + 1] / 4}u + idx];`
      : `let v${k} = vec4<${o.dtype}>(in${k}[${offsets[k + 1]}u]);`
  );
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<vec4<${spec.outDtype}>>;
${bindings.join("\n")}
@compute @workgroup_size(${size})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${size}u + lid;
  if (idx >= ${n4}u) { return; }
  ${loads.join("\n  ")}
  out[${offsets[0] / 4}u + idx] = vec4<${spec.outDtype}>(${spec.expression});
}
`;
  return { code, groups };
}

/** The folded launch grid for `groups` workgroups. */
