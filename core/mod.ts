/**
 * The engine: GPU device, buffer pool and scopes, command batching, `Tensor`, autograd
 * and differentiable ops.
 *
 * @example
 * ```ts
 * import { getGpu, Tensor, matmul, sum } from "./mod.ts";
 * await getGpu();
 * const w = Tensor.from([1, 2, 3, 4], [2, 2]);
 * w.requiresGrad = true;
 * const loss = sum(matmul(w, w));
 * loss.backward();
 * console.log(await w.grad!.read());
 * ```
 *
 * @module
 */

export * from "./device.ts";
export * from "./buffer_pool.ts";
export * from "./command_queue.ts";
export * from "./scope.ts";
export * from "./tensor.ts";
export * from "./autograd.ts";
export * from "./random.ts";
export * from "./ops/mod.ts";
export * from "./optim/mod.ts";
