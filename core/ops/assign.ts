/**
 * In-place update of a tensor's contents from another tensor, ordered with the queue
 * (optimizers and EMA use it to write new parameter values without reallocating).
 *
 * @module
 */

import { copyBuffer } from "../command_queue.ts";
import type { Tensor } from "../tensor.ts";

/**
 * Copies `value` into `target` (same shape and dtype). Not differentiable: use it under
 * `noGrad` for parameter updates.
 *
 * @example
 * ```ts
 * import { assign } from "./assign.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const p = Tensor.from([1, 2]);
 * assign(p, Tensor.from([3, 4]));
 * ```
 */
export function assign(target: Tensor, value: Tensor): void {
  if (target.shape.join() !== value.shape.join() || target.dtype !== value.dtype) {
    throw new RangeError(
      `assign: [${value.shape}] ${value.dtype} into [${target.shape}] ${target.dtype}`,
    );
  }
  if (target.storage === value.storage || target.size === 0) return;
  copyBuffer(value.buffer, 0, target.buffer, 0, target.size * 4);
}
