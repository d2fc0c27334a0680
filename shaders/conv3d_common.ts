/**
 * Shared definitions of the 3-D convolution kernels: kernel families and their tile
 * parameters, the per-axis map of a gathered convolution, and the kernel descriptor.
 * See `conv3d.ts` for how the kernels fit together.
 *
 * @module
 */

/** Kernel family, picked per adapter class. */
export type ConvVariant = "subgroup" | "portable";

/** Tile parameters of the convolution kernels for one adapter class. */
export interface ConvTiles {
  /** Forward / input-gradient kernel with lanes owning output channels. */
  wide: { rowsPerLane: number; vec4PerLane: number; unroll?: number; vecX?: boolean };
  /** Forward / input-gradient kernel for few output channels: lanes own voxels. */
  narrow: { rowsPerLane: number; maxChannels: number };
  /** Weight-gradient partial sums. */
  weightGrad: {
    rowsPerLane: number;
    vec4PerLane: number;
    chunkVoxels: number;
    unroll?: number;
    vecX?: boolean;
  };
}

/**
 * Tile parameters per adapter class, in one place. For `portable`, "per lane" means per
 * invocation (each invocation loads all of its rows itself).
 */
export const CONV_TILES: Record<ConvVariant, ConvTiles> = {
  subgroup: {
    wide: { rowsPerLane: 4, vec4PerLane: 1, unroll: 4, vecX: true },
    narrow: { rowsPerLane: 2, maxChannels: 8 },
    weightGrad: { rowsPerLane: 4, vec4PerLane: 1, chunkVoxels: 16384, unroll: 2, vecX: true },
  },
  portable: {
    wide: { rowsPerLane: 4, vec4PerLane: 1 },
    narrow: { rowsPerLane: 4, maxChannels: 0 },
    weightGrad: { rowsPerLane: 4, vec4PerLane: 1, chunkVoxels: 16384 },
  },
};

/**
 * One spatial axis of a gathered convolution: output coordinate `o` at tap `t` reads input
 * coordinate `(o·mul + offset + t·tap) / div` when that divides exactly and is in range.
 */
export interface ConvAxis {
  /** Extent of the kernel's output along the axis. */
  output: number;
  /** Extent of the kernel's input along the axis. */
  input: number;
  /** Number of taps. */
  taps: number;
  /** Output coordinate multiplier (the stride of a forward convolution). */
  mul: number;
  /** Constant offset (−padding forward, +padding for the input gradient). */
  offset: number;
  /** Tap multiplier (dilation forward, −dilation for the input gradient). */
  tap: number;
  /** Divisor (1 forward, the stride for the input gradient / transposed convolution). */
  div: number;
}

/** A gathered convolution: out[n, o, co] = Σ_{t, ci} in[n, map(o, t), ci] · w[t, ci, co]. */
export interface ConvGatherSpec {
  /** Batch size N. */
  batch: number;
  /** Axes D, H, W. */
  axes: readonly [ConvAxis, ConvAxis, ConvAxis];
  /** Channels per input voxel. */
  cin: number;
  /** Channels per output voxel. */
  cout: number;
  /** Kernel family. */
  variant: ConvVariant;
  /** Tile overrides (benchmarks); defaults from {@link CONV_TILES}. */
  tiles?: Partial<ConvTiles>;
}

/** A generated kernel: WGSL text, its launch grid and its run-time parameters. */
export interface ConvKernel {
  /** WGSL source (the same for every shape of one tile structure). */
  code: string;
  /** Workgroups to dispatch. */
  workgroups: [number, number, number];
  /** Values of the parameter buffer, bound after the other bindings. */
  params: Int32Array;
}

/** Invocations per workgroup of the portable kernels. */
export const PORTABLE_WORKGROUP = 64;

/** The tile parameters of a kernel family with overrides applied. */
export function tilesOf(variant: ConvVariant, overrides?: Partial<ConvTiles>): ConvTiles {
  return { ...CONV_TILES[variant], ...overrides };
}

/** A WGSL u32 literal. */
export function u32(v: number): string {
  return `${v >>> 0}u`;
}
