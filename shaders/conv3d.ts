/**
 * 3-D convolution kernels as implicit GEMM over channels-last volumes (no im2col buffer).
 *
 * Kernels for the forward pass, both gradients and the transposed convolution:
 *
 * - {@link convGatherKernel}: every output voxel gathers input voxels through a
 *   per-axis affine map. An output coordinate `o` reads input coordinate
 *   `(o·mul + offset + t·tap) / div` at tap `t` when that is an integer inside the input.
 *   A forward convolution is `mul = stride, offset = −pad, tap = dilation, div = 1`; its
 *   input gradient is `mul = 1, offset = pad, tap = −dilation, div = stride` (the
 *   transposed convolution), so one generator serves both.
 * - {@link convWeightGradKernel}: the weight gradient, a GEMM whose reduction runs over
 *   batch × volume. It is split across workgroups by chunks of voxel rows (partial sums),
 *   and {@link convReduceChunksKernel} sums the chunks in a second pass.
 * - {@link convTapSumKernel}: with few output channels, the op layer runs the convolution
 *   as a GEMM to (taps × channels) per input voxel and this kernel gathers the taps.
 * - {@link convBiasGradKernel}: chunked column sums of the output gradient.
 *
 * Kernel shapes, chosen per adapter class ({@link ConvVariant}):
 * - `subgroup` (8-lane subgroups, llvmpipe): a workgroup is one subgroup. In the `wide`
 *   shape it computes R = 32 consecutive output voxels along W × 32 output channels, each
 *   lane owning a vec4 of channels; per (tap, input channel) each lane loads R/8 input
 *   values and shares them by `subgroupBroadcast`, so no value is loaded twice (llvmpipe
 *   loads storage lane by lane with a bounds check, so loads, not FMAs, limit it). The
 *   input-channel loop is unrolled by 4 with vec4 input loads, which halves the
 *   execution-mask blends and spills of the accumulators per FMA. For few output channels
 *   the `narrow` shape turns this around: lanes own voxels and the weights are broadcast.
 * - `portable`: 64 independent invocations per workgroup, each computing a small
 *   register tile; no subgroup operations.
 *
 * Only the tile structure is baked into the WGSL; extents, channel counts and the axis
 * maps arrive at run time in a small `i32` parameter buffer (the last binding), so one
 * pipeline serves every shape: Mesa takes 0.3–1.5 s to compile each of these kernels.
 * Integer division, which llvmpipe scalarises per lane, is emitted only for strided maps.
 *
 * Tile parameters live in {@link CONV_TILES}, one entry per adapter class; measurements
 * behind them are in `bench/NOTES.md`.
 *
 * @module
 */

export * from "./conv3d_common.ts";
export * from "./conv3d_gather.ts";
export * from "./conv3d_weight_grad.ts";
export * from "./conv3d_sums.ts";
