/**
 * `tensor.backward()`: wires the autograd walk to the ops it needs.
 *
 * @module
 */

import { type BackwardOptions, runBackward } from "../autograd.ts";
import { setBackwardImplementation, type Tensor } from "../tensor.ts";
import { add, copyOf } from "./binary.ts";
import { onesLike } from "./creation.ts";

/**
 * Computes gradients of `root` with respect to every leaf that requires them, adding them
 * to each leaf's `.grad`.
 *
 * @example
 * ```ts
 * import { backward } from "./backward.ts";
 * import { mul } from "./binary.ts";
 * import { sum } from "./reduce.ts";
 * import { setBackwardImplementation, type Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = Tensor.from([1, 2, 3]);
 * x.requiresGrad = true;
 * backward(sum(mul(x, x))); // x.grad = 2x
 * ```
 */
export function backward(root: Tensor, options: BackwardOptions = {}): void {
  runBackward(root, { add: (a, b) => add(a, b), onesLike, copy: copyOf }, options);
}

/** Disposes and clears the gradients of the given tensors. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) {
    t.grad?.dispose();
    t.grad = undefined;
  }
}

setBackwardImplementation(backward);
