/**
 * mipcandy: 3-D medical image segmentation on WebGPU, for Deno.
 *
 * Every numeric kernel is hand-written WGSL; it runs on any WebGPU adapter, including
 * Mesa's software Vulkan driver on machines without a GPU.
 *
 * @example
 * ```ts
 * import { getGpu, matmul, sum, Tensor } from "./mod.ts";
 * await getGpu();
 * const w = Tensor.from([1, 2, 3, 4], [2, 2]);
 * w.requiresGrad = true;
 * sum(matmul(w, w)).backward();
 * console.log(await w.grad!.read());
 * ```
 *
 * @module
 */

export * from "./core/mod.ts";
export * from "./data/mod.ts";
export * from "./evaluation/mod.ts";
export * from "./training/mod.ts";
export * from "./inference/mod.ts";
export * from "./layers/mod.ts";
export * from "./bundles/mod.ts";
export * from "./pipeline/mod.ts";
