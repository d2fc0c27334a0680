/**
 * Resizing channels-last volumes (N, D, H, W, C) to a new spatial size by nearest or
 * trilinear interpolation, with gradients. Trilinear is applied as three one-axis linear
 * passes (its weights factor per axis), each with a gather backward.
 *
 * A pass views its tensor as (outer, length, inner) with the resampled axis in the middle;
 * outer rows and inner columns are independent. When a tensor exceeds one storage binding,
 * a pass runs on blocks: of whole outer rows while a row fits (samples for the depth pass,
 * planes or rows for the others), otherwise of inner columns of one row (one buffer copy
 * per position along the axis). Nearest resizing then runs as three one-axis passes, which
 * equal its one-pass gather.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { foldGrid } from "../../shaders/grid.ts";
import {
  nearest3dKernel,
  resampleBackwardKernel,
  resampleKernel,
  type ResampleSpec,
} from "../../shaders/resize.ts";
import { copyOf } from "./binary.ts";
import { BindingLimitError, bindTensor } from "./run_kernel.ts";
import { copyElements } from "./region_copy.ts";

/** Interpolation of {@link resize3d}. */
export type ResizeMode = "nearest" | "trilinear";

/** Options of {@link resize3d}. */
export interface Resize3dOptions {
  /** `nearest` (PyTorch's `nearest`: floor(o · in/out)) or `trilinear`; default trilinear. */
  mode?: ResizeMode;
  /** Trilinear only: corner samples map onto each other (PyTorch's `align_corners`). */
  alignCorners?: boolean;
}

/** Resamples axis `axis` of `x` to `outLength` (a differentiable one-axis pass). */
function resampleAxis(
  x: Tensor,
  axis: number,
  outLength: number,
  mode: "nearest" | "linear",
  alignCorners: boolean,
): Tensor {
  const spec = axisSpec(x.shape, axis, outLength, mode, alignCorners, x.dtype);
  const shape = [...x.shape];
  shape[axis] = outLength;
  const out = resample(x, spec, "forward", shape);
  return recordOp(out, `resize(${mode})`, [x], (g) => [
    resample(g, { ...spec, dtype: "f32" }, "backward", x.shape),
  ]);
}

/** The one-axis pass of `shape`'s axis `axis` to `outLength`. */
function axisSpec(
  shape: readonly number[],
  axis: number,
  outLength: number,
  mode: "nearest" | "linear",
  alignCorners: boolean,
  dtype: ResampleSpec["dtype"],
): ResampleSpec {
  return {
    outer: shape.slice(0, axis).reduce((a, b) => a * b, 1),
    length: shape[axis],
    outLength,
    inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1),
    mode,
    alignCorners,
    dtype,
  };
}

/** Elements of one storage binding (4-byte elements). */
function bindingElements(): number {
  return Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
}

/** Outer rows `[row, row + rows)` and inner columns `[column, column + columns)`. */
interface Block {
  row: number;
  rows: number;
  column: number;
  columns: number;
}

/**
 * Blocks of a pass whose tensors fit one binding: whole outer rows when a row fits, else
 * column ranges of one row. Throws naming the shape and the limit when even one column
 * (the resampled axis alone) does not fit.
 */
function planBlocks(spec: ResampleSpec): Block[] {
  const { outer, inner } = spec;
  const limit = bindingElements();
  const extent = Math.max(spec.length, spec.outLength);
  const blocks: Block[] = [];
  if (extent * inner <= limit) {
    const rows = Math.floor(limit / (extent * inner));
    for (let row = 0; row < outer; row += rows) {
      blocks.push({ row, rows: Math.min(rows, outer - row), column: 0, columns: inner });
    }
    return blocks;
  }
  const columns = Math.floor(limit / extent);
  if (columns < 1) {
    throw new BindingLimitError(
      `resize3d: resampling an axis of ${spec.length} to ${spec.outLength} positions ` +
        `(view [${outer},${spec.length},${inner}]) cannot be split to fit the storage ` +
        `binding limit (${limit * 4} bytes): one line along the axis alone exceeds it`,
    );
  }
  for (let row = 0; row < outer; row++) {
    for (let column = 0; column < inner; column += columns) {
      blocks.push({ row, rows: 1, column, columns: Math.min(columns, inner - column) });
    }
  }
  return blocks;
}

/**
 * Copies between a whole (outer, length, inner) tensor and a compact (rows, length,
 * columns) block of it: one copy for whole rows, else one per position along the axis.
 */
function copyBlock(
  whole: Tensor,
  block: Tensor,
  length: number,
  inner: number,
  b: Block,
  intoBlock: boolean,
): void {
  const copy = (at: number, local: number, count: number) =>
    intoBlock
      ? copyElements(whole, at, block, local, count)
      : copyElements(block, local, whole, at, count);
  if (b.columns === inner) {
    copy(b.row * length * inner, 0, b.rows * length * inner);
    return;
  }
  for (let i = 0; i < length; i++) {
    copy((b.row * length + i) * inner + b.column, i * b.columns, b.columns);
  }
}

/**
 * One pass, not recorded, into a new tensor of `shape`: `forward` resamples `source`
 * (outer, length, inner) to (outer, outLength, inner); `backward` maps a gradient of that
 * output back to the input. Runs in blocks when a tensor exceeds one binding.
 */
function resample(
  source: Tensor,
  spec: ResampleSpec,
  direction: "forward" | "backward",
  shape: readonly number[],
): Tensor {
  const forward = direction === "forward";
  const [from, to] = forward ? [spec.length, spec.outLength] : [spec.outLength, spec.length];
  const kernel = (s: ResampleSpec) => forward ? resampleKernel(s) : resampleBackwardKernel(s);
  const out = new Tensor(shape, spec.dtype);
  if (out.size === 0) return out;
  if (Math.max(source.size, out.size) <= bindingElements()) {
    const { code, groups } = kernel(spec);
    dispatch(code, [out, source].map(bindTensor), foldGrid(groups));
    return out;
  }
  for (const b of planBlocks(spec)) {
    const local: ResampleSpec = { ...spec, outer: b.rows, inner: b.columns };
    const input = new Tensor([b.rows, from, b.columns], spec.dtype);
    copyBlock(source, input, from, spec.inner, b, true);
    const result = new Tensor([b.rows, to, b.columns], spec.dtype);
    const { code, groups } = kernel(local);
    dispatch(code, [result, input].map(bindTensor), foldGrid(groups));
    copyBlock(out, result, to, spec.inner, b, false);
    input.dispose();
    result.dispose();
  }
  return out;
}

/**
 * Resizes the spatial axes of `x` (N, D, H, W, C) to `size` = [D', H', W'].
 * `nearest` also resizes integer label maps (no gradient); `trilinear` needs f32.
 * Positions follow PyTorch's `interpolate` (computed in float32). Tensors larger than one
 * storage binding are resized in blocks (see the module notes); a `BindingLimitError`
 * names the limit when a single line along a resized axis exceeds it.
 *
 * @example
 * ```ts
 * import { resize3d } from "./resize.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = Tensor.from(new Float32Array(1 * 4 * 4 * 4 * 2), [1, 4, 4, 4, 2]);
 * const y = resize3d(x, [8, 8, 8], { mode: "trilinear" }); // [1, 8, 8, 8, 2]
 * ```
 */
export function resize3d(
  x: Tensor,
  size: readonly [number, number, number],
  options: Resize3dOptions = {},
): Tensor {
  gpu();
  const mode = options.mode ?? "trilinear";
  const alignCorners = options.alignCorners ?? false;
  if (x.rank !== 5) {
    throw new RangeError(`resize3d: input must be (N, D, H, W, C), got shape [${x.shape}]`);
  }
  if (size.length !== 3 || size.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`resize3d: size must be three positive integers, got [${size}]`);
  }
  if (mode !== "nearest" && mode !== "trilinear") {
    throw new RangeError(`resize3d: unknown mode '${mode}' (use "nearest" or "trilinear")`);
  }
  if (mode === "trilinear" && x.dtype !== "f32") {
    throw new TypeError(`resize3d: trilinear needs an f32 tensor, got ${x.dtype} (use nearest)`);
  }
  if (alignCorners && mode === "nearest") {
    throw new RangeError("resize3d: alignCorners applies to trilinear only");
  }
  if (x.shape.slice(1, 4).join() === size.join()) return copyOf(x);
  if (mode === "nearest") return nearestResize(x, size);
  let current = x;
  for (let a = 0; a < 3; a++) {
    const axis = a + 1;
    // Equal extents map every output onto its own input.
    if (x.shape[axis] === size[a]) continue;
    const next = resampleAxis(current, axis, size[a], "linear", alignCorners);
    if (current !== x) current.dispose();
    current = next;
  }
  return current;
}

/**
 * Nearest resizing in one gather pass; its backward runs the one-axis backward passes in
 * reverse order (the forward equals resampling D, then H, then W).
 */
function nearestResize(x: Tensor, size: readonly [number, number, number]): Tensor {
  const [n, d, h, w, c] = x.shape;
  const out = nearestForward(x, size);
  return recordOp(out, "resize(nearest)", [x], (g) => {
    let current = g;
    for (let a = 2; a >= 0; a--) {
      const length = x.shape[a + 1];
      if (length === size[a]) continue;
      const shape = [...current.shape];
      shape[a + 1] = length;
      const spec: ResampleSpec = {
        outer: n * size.slice(0, a).reduce((p, q) => p * q, 1),
        length,
        outLength: size[a],
        inner: c * [d, h, w].slice(a + 1).reduce((p, q) => p * q, 1),
        mode: "nearest",
        alignCorners: false,
        dtype: "f32",
      };
      const next = resample(current, spec, "backward", shape);
      if (current !== g) current.dispose();
      current = next;
    }
    return [current];
  });
}

/**
 * The nearest forward, not recorded: one gather pass, or, when a tensor exceeds one
 * binding, three one-axis passes in blocks (the same picks, axis by axis).
 */
function nearestForward(x: Tensor, size: readonly [number, number, number]): Tensor {
  const [n, d, h, w, c] = x.shape;
  const shape = [n, ...size, c];
  const total = shape.reduce((a, b) => a * b, 1);
  if (Math.max(x.size, total) <= bindingElements()) {
    const out = new Tensor(shape, x.dtype);
    if (out.size > 0) {
      const { code, groups } = nearest3dKernel([n, d, h, w, c], size, x.dtype);
      dispatch(code, [out, x].map(bindTensor), foldGrid(groups));
    }
    return out;
  }
  let current = x;
  for (let a = 0; a < 3; a++) {
    if (current.shape[a + 1] === size[a]) continue;
    const next = [...current.shape];
    next[a + 1] = size[a];
    const spec = axisSpec(current.shape, a + 1, size[a], "nearest", false, x.dtype);
    const resized = resample(current, spec, "forward", next);
    if (current !== x) current.dispose();
    current = resized;
  }
  return current;
}
