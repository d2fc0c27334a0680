/**
 * Copies of contiguous element ranges between tensors by buffer-to-buffer transfer. Such
 * copies are not bound to a kernel, so they work on tensors larger than one storage
 * binding: ops split an oversized tensor into slabs with these, run their kernels on the
 * slabs, and gather the results back. Internal to the ops.
 *
 * @module
 */

import { copyBuffer } from "../command_queue.ts";
import { deviceLimit } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { BindingLimitError, runElementwise } from "./run_kernel.ts";

/** Copies `count` elements of `source` from `sourceStart` into `target` at `targetStart`. */
export function copyElements(
  source: Tensor,
  sourceStart: number,
  target: Tensor,
  targetStart: number,
  count: number,
): void {
  if (count <= 0) return;
  if (sourceStart + count > source.size || targetStart + count > target.size) {
    throw new RangeError(
      `copyElements: ${count} elements from ${sourceStart} of [${source.shape}] into ` +
        `${targetStart} of [${target.shape}] run past an end`,
    );
  }
  copyBuffer(source.buffer, sourceStart * 4, target.buffer, targetStart * 4, count * 4);
}

/** A new tensor holding rows `[start, stop)` of axis 0 of a contiguous tensor. */
export function leadingRows(x: Tensor, start: number, stop: number): Tensor {
  const row = x.size / Math.max(1, x.shape[0]);
  const out = new Tensor([stop - start, ...x.shape.slice(1)], x.dtype);
  copyElements(x, start * row, out, 0, (stop - start) * row);
  return out;
}

/**
 * Applies `op` to slabs of whole rows (along axis 0) of `x` that each fit in one storage
 * binding, for ops whose rows are independent (a last-axis argmax or softmax). Each slab's
 * result must have the slab's row count as its leading extent; the results are gathered
 * into one tensor of shape (rows, ...resultRow).
 */
export function inRowSlabs(x: Tensor, op: (slab: Tensor) => Tensor): Tensor {
  const rows = x.shape[0];
  const row = x.size / Math.max(1, rows);
  const limit = Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
  const perSlab = Math.floor(limit / Math.max(1, row));
  if (perSlab < 1) {
    throw new BindingLimitError(
      `one row of [${x.shape}] (${row} elements) exceeds the storage binding limit ` +
        `(${limit * 4} bytes)`,
    );
  }
  let out: Tensor | undefined;
  for (let start = 0; start < rows; start += perSlab) {
    const slab = leadingRows(x, start, Math.min(rows, start + perSlab));
    const result = op(slab);
    slab.dispose();
    const resultRow = result.size / slab.shape[0];
    out ??= new Tensor([rows, ...result.shape.slice(1)], result.dtype);
    copyElements(result, 0, out, start * resultRow, result.size);
    result.dispose();
  }
  return out ?? new Tensor([0], x.dtype);
}

/**
 * `total + part` as a new tensor, both inputs disposed; `part` itself when there is no total
 * yet. Sums the per-slab partial results of a split op (weight gradients, say).
 */
export function accumulate(total: Tensor | undefined, part: Tensor): Tensor {
  if (!total) return part;
  const sum = runElementwise(total.shape, "f32", [
    { tensor: total, strides: total.strides, offset: 0 },
    { tensor: part, strides: part.strides, offset: 0 },
  ], "v0 + v1");
  total.dispose();
  part.dispose();
  return sum;
}
