/**
 * Copies of contiguous element ranges between tensors by buffer-to-buffer transfer. Such
 * copies are not bound to a kernel, so they work on tensors larger than one storage
 * binding: ops split an oversized tensor into slabs with these, run their kernels on the
 * slabs, and gather the results back. Internal to the ops.
 *
 * @module
 */

import { copyBuffer } from "../command_queue.ts";
import { Tensor } from "../tensor.ts";

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
