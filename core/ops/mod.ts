/**
 * Differentiable tensor ops.
 *
 * @module
 */

export * from "./binary.ts";
export * from "./compare.ts";
export * from "./creation.ts";
export * from "./matmul.ts";
export * from "./movement.ts";
export * from "./reduce.ts";
export * from "./softmax.ts";
export * from "./unary.ts";
export * from "./backward.ts";
export * from "./assign.ts";
export * from "./argmax.ts";
export * from "./class_outputs.ts";
export * from "./normalization.ts";
export * from "./activations.ts";
export * from "./dropout.ts";
export * from "./pooling.ts";
export * from "./resize.ts";
export * from "./losses/mod.ts";
export * from "./conv3d.ts";
export * from "./conv_transpose3d.ts";
export {
  BindingLimitError,
  bindTensor,
  broadcastShapes,
  broadcastView,
  type OutputTarget,
  runElementwise,
  type TensorView,
} from "./run_kernel.ts";
export * from "./attention.ts";
export { copyElements, inRowSlabs, leadingRows } from "./region_copy.ts";
