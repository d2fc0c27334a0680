/**
 * Runs generated elementwise kernels on tensors: allocates the output, binds operands and
 * records the dispatch into the shared queue.
 *
 * @module
 */

import { dispatch } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import {
  contiguousStrides,
  elementwiseKernel,
  type StridedOperand,
} from "../../shaders/elementwise.ts";
import { foldGrid } from "../../shaders/grid.ts";
import type { DType } from "../../shaders/wgsl.ts";

/** A tensor read through explicit strides and offset (a view), for elementwise kernels. */
export interface TensorView {
  /** The tensor whose storage is read. */
  tensor: Tensor;
  /** Strides per output axis, in elements (0 on broadcast axes). */
  strides: readonly number[];
  /** Offset of the first element. */
  offset: number;
}

/** Where an elementwise kernel writes: a new tensor, or a strided region of an existing one. */
export interface OutputTarget {
  /** The tensor written into. */
  tensor: Tensor;
  /** Strides per iteration axis. */
  strides: readonly number[];
  /** Element offset. */
  offset: number;
}

/** Shape two shapes broadcast to (NumPy rules); throws naming both on mismatch. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`shapes [${a}] and [${b}] do not broadcast`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides that read `shape` broadcast to `target` (0 on broadcast and missing axes). */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const offset = target.length - shape.length;
  return target.map((_, i) => {
    const d = i - offset;
    return d < 0 || shape[d] === 1 ? 0 : own[d];
  });
}

/** A view that reads `tensor` broadcast to `shape`. */
export function broadcastView(tensor: Tensor, shape: readonly number[]): TensorView {
  return { tensor, strides: broadcastStrides(tensor.shape, shape), offset: 0 };
}

/**
 * Records an elementwise kernel over `shape`: operands are loaded as `v0`, `v1`, … and the
 * `expression` (WGSL of type `outDtype`) is stored. Returns the output tensor.
 */
export function runElementwise(
  shape: readonly number[],
  outDtype: DType,
  views: readonly TensorView[],
  expression: string,
  options: { prelude?: string; into?: OutputTarget; vectorizable?: boolean } = {},
): Tensor {
  gpu();
  const out = options.into?.tensor ?? new Tensor(shape, outDtype);
  let n = 1;
  for (const s of shape) n *= s;
  if (n === 0) return out;
  const operands: StridedOperand[] = views.map((v) => ({
    dtype: v.tensor.dtype,
    strides: v.strides,
    offset: v.offset,
  }));
  const limit = deviceLimit("maxStorageBufferBindingSize");
  if ([out, ...views.map((v) => v.tensor)].some((t) => t.size * 4 > limit)) {
    runChunked(out, shape, views, operands, expression, limit, options);
    return out;
  }
  const { code, groups } = elementwiseKernel({
    shape,
    outDtype: out.dtype,
    outStrides: options.into?.strides,
    outOffset: options.into?.offset,
    operands,
    expression,
    prelude: options.prelude,
    vectorizable: options.vectorizable,
  });
  dispatch(code, [out, ...views.map((v) => v.tensor)].map(bindTensor), [
    ...foldGrid(groups),
  ]);
  return out;
}

/** Raised when a tensor is larger than one storage binding and the op cannot split it. */
export class BindingLimitError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BindingLimitError";
  }
}

/** Binds a tensor's used bytes (not its whole size-class buffer) to a kernel. */
export function bindTensor(t: Tensor): { buffer: GPUBuffer; size: number } {
  const bytes = Math.max(4, t.size * 4);
  const limit = deviceLimit("maxStorageBufferBindingSize");
  if (bytes > limit) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new BindingLimitError(
      `tensor [${t.shape}] (${mib(bytes)}) exceeds this adapter's storage binding limit ` +
        `(${mib(limit)}); use a smaller batch or patch, or split the volume`,
    );
  }
  return { buffer: t.buffer, size: bytes };
}

function isContiguousWhole(view: TensorView, shape: readonly number[]): boolean {
  const own = contiguousStrides(shape);
  return view.offset === 0 && view.tensor.size === own.reduce((n, _, d) => n * shape[d], 1) &&
    view.strides.every((s, d) => s === own[d] || shape[d] === 1);
}

/**
 * Runs an elementwise kernel in chunks of the flat index when some tensor exceeds one
 * binding: the output and same-shaped contiguous operands are bound as windows, smaller
 * operands (broadcast ones) whole.
 */
function runChunked(
  out: Tensor,
  shape: readonly number[],
  views: readonly TensorView[],
  operands: StridedOperand[],
  expression: string,
  limit: number,
  options: { prelude?: string; into?: OutputTarget },
): void {
  const windowed = views.map((v) => isContiguousWhole(v, shape));
  const fits = views.every((v, k) => windowed[k] || v.tensor.size * 4 <= limit);
  if (options.into || !fits) {
    throw new BindingLimitError(
      `elementwise op over [${shape}] needs a tensor larger than the storage binding limit ` +
        `(${(limit / 2 ** 20).toFixed(1)} MiB) in a layout that cannot be split`,
    );
  }
  // Windows start at multiples of 64 elements (256 bytes, the binding offset alignment).
  const perChunk = Math.max(64, Math.floor(limit / 4 / 64) * 64);
  const total = out.size;
  const local = views.map((_, k) => k).filter((k) => windowed[k]);
  for (let start = 0; start < total; start += perChunk) {
    const count = Math.min(perChunk, total - start);
    const { code, groups } = elementwiseKernel({
      shape,
      outDtype: out.dtype,
      operands,
      expression,
      prelude: options.prelude,
      chunk: { start, count, local },
    });
    const window = (t: Tensor) => ({ buffer: t.buffer, offset: start * 4, size: count * 4 });
    const bindings = [
      window(out),
      ...views.map((v, k) => (windowed[k] ? window(v.tensor) : bindTensor(v.tensor))),
    ];
    dispatch(code, bindings, [...foldGrid(groups)]);
  }
}
