/**
 * Runs generated elementwise kernels on tensors: allocates the output, binds operands and
 * records the dispatch into the shared queue.
 *
 * @module
 */

import { dispatch } from "../command_queue.ts";
import { gpu } from "../device.ts";
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

/** Binds a tensor's used bytes (not its whole size-class buffer) to a kernel. */
export function bindTensor(t: Tensor): { buffer: GPUBuffer; size: number } {
  return { buffer: t.buffer, size: Math.max(4, t.size * 4) };
}
