/**
 * Gradient clipping by global L2 norm, entirely on the GPU: the norm is reduced and the
 * gradients are rescaled without reading anything back, so a training step still awaits
 * at most once.
 *
 * @module
 */

import { dispatch } from "../command_queue.ts";
import { deviceLimit } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { bindTensor } from "../ops/run_kernel.ts";
import { full } from "../ops/creation.ts";
import {
  clipScaleKernel,
  scaleInPlaceKernel,
  SUM_SQUARES_CHUNK,
  sumSquaresKernel,
} from "../../shaders/optim.ts";
import { OptimizerConfigError } from "./optimizer.ts";

/**
 * Scales the gradients of `params` in place so that their global L2 norm is at most
 * `maxNorm` (factor min(1, maxNorm / (norm + 1e-6)), as PyTorch's `clip_grad_norm_`).
 * Parameters without a gradient are ignored. Returns the norm before clipping as a
 * scalar tensor (read it only when needed: reading costs a GPU round trip).
 *
 * @example
 * ```ts
 * import { clipGradNorm } from "./clip_grad.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const w = Tensor.from([1, 2]);
 * w.grad = Tensor.from([3, 4]);
 * const norm = clipGradNorm([w], 1); // grad becomes [0.6, 0.8]; norm holds 5
 * ```
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor {
  if (typeof maxNorm !== "number" || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new OptimizerConfigError(`maxNorm must be a finite number >= 0, got ${maxNorm}`);
  }
  const grads: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (!g || g.size === 0) continue;
    if (g.dtype !== "f32") throw new OptimizerConfigError(`gradient is ${g.dtype}, needs f32`);
    grads.push(g);
  }
  if (grads.length === 0) return full([], 0);
  // Each tensor writes its partial sums into its own slot of one shared buffer. Slots
  // start at multiples of the storage-offset alignment; the gaps stay zero.
  const align = deviceLimit("minStorageBufferOffsetAlignment") / 4;
  let total = 0;
  const slots = grads.map((g) => {
    const chunks = Math.ceil(g.size / SUM_SQUARES_CHUNK);
    const at = total;
    total += Math.ceil(chunks / align) * align;
    return { at, chunks };
  });
  const partial = full([total], 0);
  grads.forEach((g, i) => {
    const k = sumSquaresKernel(g.size);
    const slot = { buffer: partial.buffer, offset: slots[i].at * 4, size: slots[i].chunks * 4 };
    dispatch(k.code, [slot, bindTensor(g)], k.workgroups);
  });
  const norm = new Tensor([], "f32");
  const scale = new Tensor([1], "f32");
  const hyper = Tensor.from([maxNorm]);
  const reduce = clipScaleKernel();
  dispatch(reduce.code, [norm, scale, partial, hyper].map(bindTensor), reduce.workgroups);
  for (const g of grads) {
    const k = scaleInPlaceKernel(g.size);
    dispatch(k.code, [bindTensor(g), bindTensor(scale)], k.workgroups);
  }
  for (const t of [partial, scale, hyper]) t.dispose();
  return norm;
}
