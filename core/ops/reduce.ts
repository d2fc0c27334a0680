/**
 * Reductions over chosen axes (sum, mean, max, min) with gradients.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { reduceKernel, type ReduceOp } from "../../shaders/reduce.ts";
import { foldGrid } from "../../shaders/grid.ts";
import { bindTensor, runElementwise } from "./run_kernel.ts";
import { copyElements, leadingRows } from "./region_copy.ts";
import { expand, reshape } from "./movement.ts";
import { copyOf, div, mul } from "./binary.ts";
import { eq } from "./compare.ts";

/** Axes to reduce: one, several, or all when omitted; negative counts from the end. */
export type Axes = number | readonly number[] | undefined;

/** Normalises `axes` against a rank: sorted, unique, non-negative; all axes when omitted. */
export function normalizeAxes(axes: Axes, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === "number" ? [axes] : [...axes];
  const out = list.map((a) => {
    const d = a < 0 ? a + rank : a;
    if (!Number.isInteger(d) || d < 0 || d >= rank) {
      throw new RangeError(`axis ${a} out of range for rank ${rank}`);
    }
    return d;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

/** The shape after reducing `axes` (kept as 1 when `keepDims`). */
export function reducedShape(
  shape: readonly number[],
  axes: readonly number[],
  keepDims: boolean,
): number[] {
  const set = new Set(axes);
  const out: number[] = [];
  shape.forEach((s, d) => {
    if (!set.has(d)) out.push(s);
    else if (keepDims) out.push(1);
  });
  return out;
}

const TWO_PASS_MIN_LENGTH = 65536;
const CHUNK_LENGTH = 16384;

/** Records a reduction kernel (two passes when few long reductions would starve the GPU). */
function reduceRaw(x: Tensor, axes: number[], op: ReduceOp, scale: number): Tensor {
  gpu();
  if (x.size * 4 > deviceLimit("maxStorageBufferBindingSize")) {
    return reduceInSlabs(x, axes, op, scale);
  }
  const kept = reducedShape(x.shape, axes, false);
  let outputs = 1;
  for (const s of kept) outputs *= s;
  const k = x.size / Math.max(outputs, 1);
  const out = new Tensor(kept, x.dtype);
  if (out.size === 0) return out;
  if (outputs < 64 && k >= TWO_PASS_MIN_LENGTH) {
    const chunks = Math.min(1024, Math.ceil(k / CHUNK_LENGTH));
    const first = reduceKernel({ shape: x.shape, axes, dtype: x.dtype, op, chunks });
    const partial = new Tensor([outputs, chunks], x.dtype);
    dispatch(first.code, [bindTensor(partial), bindTensor(x)], [...foldGrid(first.groups)]);
    const second = reduceKernel({ shape: [outputs, chunks], axes: [1], dtype: x.dtype, op, scale });
    dispatch(second.code, [bindTensor(out), bindTensor(partial)], [...foldGrid(second.groups)]);
    partial.dispose();
    return out;
  }
  const { code, groups } = reduceKernel({ shape: x.shape, axes, dtype: x.dtype, op, scale });
  dispatch(code, [bindTensor(out), bindTensor(x)], [...foldGrid(groups)]);
  return out;
}

/**
 * A reduction of a tensor larger than one storage binding: slabs of whole rows of axis 0
 * (or, when one row is still too large, each row on its own, recursively) are copied out
 * and reduced; a reduced axis 0 combines the slabs' results, a kept one places them.
 */
function reduceInSlabs(x: Tensor, axes: number[], op: ReduceOp, scale: number): Tensor {
  const limit = Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
  const rows = x.shape[0];
  const row = x.size / rows;
  const reducesRows = axes.includes(0);
  const out = new Tensor(reducedShape(x.shape, axes, false), x.dtype);
  const outRow = reducesRows ? 0 : out.size / rows;
  const perSlab = Math.floor(limit / row);
  let total: Tensor | undefined;
  for (let start = 0; start < rows; start += Math.max(1, perSlab)) {
    const stop = Math.min(rows, start + Math.max(1, perSlab));
    const slab = leadingRows(x, start, stop);
    let part: Tensor;
    if (perSlab >= 1) {
      part = reduceRaw(slab, axes, op, scale);
    } else {
      // One row exceeds a binding: reduce it as a tensor of one rank less.
      const inner = reshape(slab, x.shape.slice(1));
      const innerAxes = axes.filter((a) => a > 0).map((a) => a - 1);
      part = innerAxes.length
        ? reduceRaw(inner, innerAxes, op, scale)
        : scale === 1
        ? copyOf(inner)
        : mul(inner, scale);
      inner.dispose();
    }
    slab.dispose();
    if (reducesRows) {
      total = total ? combine(total, part, op) : part;
    } else {
      copyElements(part, 0, out, start * outRow, part.size);
      part.dispose();
    }
  }
  if (!reducesRows) return out;
  out.dispose();
  // `total` has the kept shape; reshape drops a leading 1 when rows were reduced one by one.
  const shaped = reshape(total!, reducedShape(x.shape, axes, false));
  total!.dispose();
  return shaped;
}

/** Combines two partial reductions (both disposed) into a new tensor. */
function combine(a: Tensor, b: Tensor, op: ReduceOp): Tensor {
  const expression = op === "sum" ? "v0 + v1" : `${op}(v0, v1)`;
  const out = runElementwise(a.shape, a.dtype, [
    { tensor: a, strides: a.strides, offset: 0 },
    { tensor: b, strides: b.strides, offset: 0 },
  ], expression);
  a.dispose();
  b.dispose();
  return out;
}

function finish(out: Tensor, x: Tensor, axes: number[], keepDims: boolean): Tensor {
  if (!keepDims) return out;
  const view = reshape(out, reducedShape(x.shape, axes, true));
  out.dispose();
  return view;
}

/**
 * Sum over `axes` (all when omitted).
 *
 * @example
 * ```ts
 * import { sum } from "./reduce.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const s = sum(Tensor.from([1, 2, 3, 4], [2, 2]), 1); // [3, 7]
 * ```
 */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const list = normalizeAxes(axes, x.rank);
  const out = finish(reduceRaw(x, list, "sum", 1), x, list, keepDims);
  return recordOp(
    out,
    "sum",
    [x],
    (g) => [expand(reshape(g, reducedShape(x.shape, list, true)), x.shape)],
  );
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const list = normalizeAxes(axes, x.rank);
  const kept = reducedShape(x.shape, list, false);
  const count = x.size / Math.max(1, kept.reduce((a, b) => a * b, 1));
  const out = finish(reduceRaw(x, list, "sum", 1 / count), x, list, keepDims);
  return recordOp(out, "mean", [x], (g) => {
    const spread = expand(reshape(g, reducedShape(x.shape, list, true)), x.shape);
    const scaled = mul(spread, 1 / count);
    spread.dispose();
    return [scaled];
  });
}

function extreme(op: "max" | "min", x: Tensor, axes: Axes, keepDims: boolean): Tensor {
  const list = normalizeAxes(axes, x.rank);
  const raw = reduceRaw(x, list, op, 1);
  const out = finish(raw, x, list, keepDims);
  // The gradient is shared equally by all elements that attain the extreme.
  return recordOp(out, op, [x], (g) => {
    const keptShape = reducedShape(x.shape, list, true);
    const y = expand(reshape(out, keptShape), x.shape);
    const mask = eq(x, y);
    const ties = sum(mask, list, true);
    const share = div(reshape(g, keptShape), ties);
    const gx = mul(mask, share);
    for (const t of [y, mask, ties, share]) t.dispose();
    return [gx];
  }, [x, out]);
}

/** Maximum over `axes`; ties share the gradient equally. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return extreme("max", x, axes, keepDims);
}

/** Minimum over `axes`; ties share the gradient equally. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return extreme("min", x, axes, keepDims);
}

/** Reduces a broadcast gradient back to `shape` (sums broadcast axes). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.join() === shape.join()) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((s, d) => {
    if (d < lead || (shape[d - lead] === 1 && s !== 1)) axes.push(d);
  });
  const summed = sum(g, axes, true);
  const out = reshape(summed, shape);
  summed.dispose();
  return out;
}
