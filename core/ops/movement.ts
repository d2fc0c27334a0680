/**
 * Shape and layout ops with gradients: reshape (a view), expand, permute, slice, pad,
 * concat. All but reshape copy through the strided elementwise kernel.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { Tensor } from "../tensor.ts";
import { contiguousStrides, elementCount } from "../../shaders/elementwise.ts";
import { literal } from "../../shaders/wgsl.ts";
import { BindingLimitError, broadcastStrides, runElementwise } from "./run_kernel.ts";
import { deviceLimit } from "../device.ts";
import { copyElements, leadingRows } from "./region_copy.ts";

/** Resolves one `-1` in a requested shape against an element count. */
function resolveShape(shape: readonly number[], size: number): number[] {
  const known = shape.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
  const holes = shape.filter((s) => s === -1).length;
  if (holes > 1) throw new RangeError(`reshape: more than one -1 in [${shape}]`);
  const out = shape.map((s) => (s === -1 ? size / Math.max(known, 1) : s));
  if (elementCount(out) !== size || out.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`cannot reshape ${size} elements to [${shape}]`);
  }
  return out;
}

/** The same data with another shape (no copy: shares storage). One axis may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = resolveShape(shape, x.size);
  x.storage.retain();
  const out = new Tensor(target, x.dtype, x.storage);
  return recordOp(out, "reshape", [x], (g) => [reshape(g, x.shape)]);
}

/** Copies `x` broadcast to `shape` (NumPy rules). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const strides = broadcastStrides(x.shape, shape);
  if (x.rank > shape.length) throw new RangeError(`cannot expand [${x.shape}] to [${shape}]`);
  x.shape.forEach((s, d) => {
    const t = shape[shape.length - x.rank + d];
    if (s !== 1 && s !== t) throw new RangeError(`cannot expand [${x.shape}] to [${shape}]`);
  });
  const out = runElementwise(shape, x.dtype, [{ tensor: x, strides, offset: 0 }], "v0");
  return recordOp(out, "expand", [x], (g) => [sumToShape(g, x.shape)]);
}

// Imported lazily in effect: reduce.ts imports this module too.
import { sumTo as sumToShape } from "./reduce.ts";

/** Reorders axes: output axis i is input axis `order[i]`. */
export function permute(x: Tensor, order: readonly number[]): Tensor {
  if (
    order.length !== x.rank || new Set(order).size !== x.rank ||
    order.some((a) => a < 0 || a >= x.rank)
  ) {
    throw new RangeError(`permute order [${order}] invalid for rank ${x.rank}`);
  }
  const own = x.strides;
  const shape = order.map((a) => x.shape[a]);
  const strides = order.map((a) => own[a]);
  const out = runElementwise(shape, x.dtype, [{ tensor: x, strides, offset: 0 }], "v0");
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return recordOp(out, "permute", [x], (g) => [permute(g, inverse)]);
}

/** Swaps two axes (negative counts from the end). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const order = [...Array(x.rank).keys()];
  const i = a < 0 ? a + x.rank : a;
  const j = b < 0 ? b + x.rank : b;
  [order[i], order[j]] = [order[j], order[i]];
  return permute(x, order);
}

/** One axis of a slice: `[start, stop)` with a positive `step`. */
export interface SliceRange {
  /** First index (negative counts from the end); default 0. */
  start?: number;
  /** End, exclusive (negative counts from the end); default the extent. */
  stop?: number;
  /** Step (≥ 1); default 1. */
  step?: number;
}

function resolveRanges(shape: readonly number[], ranges: ReadonlyArray<SliceRange | undefined>) {
  return shape.map((extent, d) => {
    const r = ranges[d] ?? {};
    const step = r.step ?? 1;
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`slice step must be ≥ 1`);
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + extent : v, 0), extent);
    const start = clamp(r.start ?? 0);
    const stop = Math.max(start, clamp(r.stop ?? extent));
    return { start, step, length: Math.ceil((stop - start) / step) };
  });
}

/** A copy of a strided sub-block; axes without a range are taken whole. */
export function slice(x: Tensor, ranges: ReadonlyArray<SliceRange | undefined>): Tensor {
  const resolved = resolveRanges(x.shape, ranges);
  const out = sliceRaw(x, resolved);
  return recordOp(out, "slice", [x], (g) => {
    const gx = runElementwise(x.shape, g.dtype, [], literal(0, g.dtype));
    writeRegion(gx, g, resolved.map((r) => r.start), resolved.map((r) => r.step));
    return [gx];
  });
}

type Resolved = { start: number; step: number; length: number };

function bindingElements(): number {
  return Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
}

/**
 * The strided sub-block `resolved` of `x` as a new tensor (not recorded). When `x` or the
 * block exceeds one storage binding, it is cut along axis 0: slabs of whole rows are
 * copied out by buffer transfer and sliced on their own (a row still too large is sliced
 * as a tensor of one rank less).
 */
function sliceRaw(x: Tensor, resolved: readonly Resolved[]): Tensor {
  const shape = resolved.map((r) => r.length);
  const size = elementCount(shape);
  const limit = bindingElements();
  if (Math.max(x.size, size) <= limit || size === 0) {
    const own = x.strides;
    const strides = resolved.map((r, d) => own[d] * r.step);
    const offset = resolved.reduce((acc, r, d) => acc + r.start * own[d], 0);
    return runElementwise(shape, x.dtype, [{ tensor: x, strides, offset }], "v0");
  }
  const out = new Tensor(shape, x.dtype);
  const [first, ...rest] = resolved;
  if (x.rank === 1) {
    if (first.step !== 1) {
      throw new BindingLimitError(`slice: strided slice of [${x.shape}] exceeds a binding`);
    }
    copyElements(x, first.start, out, 0, first.length);
    return out;
  }
  const inRow = x.size / x.shape[0];
  const outRow = size / first.length;
  const perSlab = first.step === 1 ? Math.floor(limit / Math.max(inRow, outRow)) : 0;
  for (let i = 0; i < first.length; i += Math.max(1, perSlab)) {
    const count = perSlab >= 1 ? Math.min(perSlab, first.length - i) : 1;
    const row = first.start + i * first.step;
    const rows = leadingRows(x, row, row + count);
    let piece: Tensor;
    if (perSlab >= 1) {
      piece = sliceRaw(rows, [{ start: 0, step: 1, length: count }, ...rest]);
    } else {
      const inner = reshape(rows, x.shape.slice(1));
      piece = sliceRaw(inner, rest);
      inner.dispose();
    }
    copyElements(piece, 0, out, i * outRow, piece.size);
    rows.dispose();
    piece.dispose();
  }
  return out;
}

/**
 * Writes `source` into the region of `target` starting at `starts` with `steps` (in place).
 * Tensors larger than one storage binding are handled slab by slab along axis 0: the
 * target rows are copied out, written, and copied back.
 */
function writeRegion(
  target: Tensor,
  source: Tensor,
  starts: readonly number[],
  steps: readonly number[],
): void {
  const limit = bindingElements();
  if (Math.max(target.size, source.size) > limit && source.size > 0) {
    writeRegionInSlabs(target, source, starts, steps, limit);
    return;
  }
  const own = contiguousStrides(target.shape);
  runElementwise(
    source.shape,
    target.dtype,
    [
      { tensor: source, strides: contiguousStrides(source.shape), offset: 0 },
    ],
    "v0",
    {
      into: {
        tensor: target,
        strides: own.map((s, d) => s * steps[d]),
        offset: starts.reduce((acc, s, d) => acc + s * own[d], 0),
      },
    },
  );
}

function writeRegionInSlabs(
  target: Tensor,
  source: Tensor,
  starts: readonly number[],
  steps: readonly number[],
  limit: number,
): void {
  if (target.rank === 1) {
    if (steps[0] !== 1) {
      throw new BindingLimitError(`strided write into [${target.shape}] exceeds a binding`);
    }
    copyElements(source, 0, target, starts[0], source.size);
    return;
  }
  const targetRow = target.size / target.shape[0];
  const sourceRow = source.size / source.shape[0];
  const perSlab = steps[0] === 1 ? Math.floor(limit / Math.max(targetRow, sourceRow)) : 0;
  for (let j = 0; j < source.shape[0]; j += Math.max(1, perSlab)) {
    const count = perSlab >= 1 ? Math.min(perSlab, source.shape[0] - j) : 1;
    const row = starts[0] + j * steps[0];
    const targetRows = leadingRows(target, row, row + count);
    const sourceRows = leadingRows(source, j, j + count);
    if (perSlab >= 1) {
      writeRegion(targetRows, sourceRows, [0, ...starts.slice(1)], steps);
    } else {
      const t = reshape(targetRows, target.shape.slice(1));
      const src = reshape(sourceRows, source.shape.slice(1));
      writeRegion(t, src, starts.slice(1), steps.slice(1));
      t.dispose();
      src.dispose();
    }
    copyElements(targetRows, 0, target, row * targetRow, targetRows.size);
    targetRows.dispose();
    sourceRows.dispose();
  }
}

/** Pads each axis by `[before, after]` elements of `value` (negative amounts not allowed). */
export function pad(
  x: Tensor,
  widths: ReadonlyArray<readonly [number, number]>,
  value = 0,
): Tensor {
  const w = x.shape.map((_, d) => widths[d] ?? [0, 0]);
  if (w.some(([a, b]) => a < 0 || b < 0 || !Number.isInteger(a) || !Number.isInteger(b))) {
    throw new RangeError("pad widths must be non-negative integers");
  }
  const shape = x.shape.map((s, d) => s + w[d][0] + w[d][1]);
  const out = runElementwise(shape, x.dtype, [], literal(value, x.dtype));
  writeRegion(out, x, w.map((p) => p[0]), w.map(() => 1));
  return recordOp(out, "pad", [x], (g) => [
    slice(g, w.map(([before], d) => ({ start: before, stop: before + x.shape[d] }))),
  ]);
}

/** Joins tensors along `axis`; all other extents must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new RangeError("concat of no tensors");
  const first = tensors[0];
  const d = axis < 0 ? axis + first.rank : axis;
  for (const t of tensors) {
    if (
      t.rank !== first.rank || t.shape.some((s, i) => i !== d && s !== first.shape[i]) ||
      t.dtype !== first.dtype
    ) {
      throw new RangeError(
        `concat: [${t.shape}] ${t.dtype} does not match [${first.shape}] ${first.dtype} on axis ${d}`,
      );
    }
  }
  const shape = [...first.shape];
  shape[d] = tensors.reduce((acc, t) => acc + t.shape[d], 0);
  const out = new Tensor(shape, first.dtype);
  const starts: number[] = [];
  let at = 0;
  for (const t of tensors) {
    starts.push(at);
    const offsets = shape.map((_, i) => (i === d ? at : 0));
    writeRegion(out, t, offsets, shape.map(() => 1));
    at += t.shape[d];
  }
  return recordOp(out, "concat", tensors, (g) =>
    tensors.map((t, k) => {
      const ranges = shape.map((_, i) =>
        i === d ? { start: starts[k], stop: starts[k] + t.shape[d] } : undefined
      );
      return slice(g, ranges);
    }));
}

/** Reverses the order of elements along `axes` (negative counts from the end). */
export function flip(x: Tensor, axes: readonly number[]): Tensor {
  const set = new Set(axes.map((a) => (a < 0 ? a + x.rank : a)));
  const own = x.strides;
  const strides = own.map((s, d) => (set.has(d) ? -s : s));
  const offset = own.reduce((acc, s, d) => acc + (set.has(d) ? (x.shape[d] - 1) * s : 0), 0);
  const out = runElementwise(x.shape, x.dtype, [{ tensor: x, strides, offset }], "v0");
  return recordOp(out, "flip", [x], (g) => [flip(g, axes)]);
}

/** Inserts an axis of extent 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const d = axis < 0 ? axis + x.rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Removes axes of extent 1 (the given ones, or all). */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const drop = new Set((axes ?? x.shape.map((_, d) => d)).map((a) => (a < 0 ? a + x.rank : a)));
  return reshape(x, x.shape.filter((s, d) => !(drop.has(d) && s === 1)));
}
