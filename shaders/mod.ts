/**
 * WGSL kernel generators: functions returning shader text specialised for shapes,
 * strides and tile sizes. They know nothing of tensors or autograd.
 *
 * @module
 */

export * from "./wgsl.ts";
export * from "./grid.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./matmul.ts";
export * from "./random.ts";
export * from "./pooling.ts";
export * from "./resize.ts";
export * from "./losses.ts";
export * from "./normalization.ts";
export * from "./activations.ts";
export * from "./augmentation.ts";
