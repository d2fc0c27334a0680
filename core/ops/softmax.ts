/**
 * Softmax and log-softmax along one axis, composed from primitives (max-shifted for
 * stability; the shift carries no gradient because softmax is invariant to it).
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import type { Tensor } from "../tensor.ts";
import { div, sub } from "./binary.ts";
import { max, sum } from "./reduce.ts";
import { exp, log } from "./unary.ts";

/**
 * e^x / Σ e^x along `axis` (default the last).
 *
 * @example
 * ```ts
 * import { softmax } from "./softmax.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const p = softmax(Tensor.from([1, 2, 3], [1, 3]));
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const shift = noGrad(() => max(x, axis, true));
  const z = sub(x, shift);
  const e = exp(z);
  const total = sum(e, axis, true);
  const y = div(e, total);
  for (const t of [shift, z, e, total]) t.dispose();
  return y;
}

/** log(softmax(x)) along `axis`, computed stably as x − max − log Σ e^(x − max). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const shift = noGrad(() => max(x, axis, true));
  const z = sub(x, shift);
  const e = exp(z);
  const total = sum(e, axis, true);
  const logTotal = log(total);
  const y = sub(z, logTotal);
  for (const t of [shift, z, e, total, logTotal]) t.dispose();
  return y;
}
