/**
 * A U-Net planner in nnU-Net's spirit: from a dataset's median spacing and shape and a
 * voxel budget, derive the patch size, the stages' strides and kernel sizes (anisotropic
 * where spacing demands) and the feature widths.
 *
 * @module
 */

type Triple = [number, number, number];

/** What the planner needs to know about a dataset (after resampling to `spacing`). */
export interface PlanInput {
  /** Median voxel spacing (D, H, W) in mm, used as the target spacing. */
  spacing: Triple;
  /** Median image shape (D, H, W) at that spacing. */
  shape: Triple;
  /** Image channels. */
  inChannels: number;
  /** Classes including background. */
  classes: number;
  /** Largest patch in voxels (default 128³ on GPUs; 48³·2 is sensible on a CPU). */
  maxPatchVoxels?: number;
  /** Feature channels of the first stage (default 32; 8–16 on a CPU). */
  baseFeatures?: number;
  /** Cap on feature channels (default 320). */
  maxFeatures?: number;
  /** Smallest edge of the bottleneck feature map (default 4). */
  minBottleneckEdge?: number;
}

/** A network and patch plan. */
export interface UNetPlan {
  /** Target spacing (D, H, W) in mm. */
  spacing: Triple;
  /** Patch size (D, H, W), a multiple of the total stride on each axis. */
  patchSize: Triple;
  /** Feature channels per stage. */
  features: number[];
  /** Stride of each stage's first conv. */
  strides: Triple[];
  /** Kernel size per stage. */
  kernelSizes: Triple[];
}

/**
 * Plans a U-Net for a dataset.
 *
 * @example
 * ```ts
 * import { planUNet } from "./planner.ts";
 * const plan = planUNet({ spacing: [1, 1, 1], shape: [36, 50, 35], inChannels: 1, classes: 3 });
 * plan.patchSize; // [40, 56, 40]
 * ```
 */
export function planUNet(input: PlanInput): UNetPlan {
  const budget = input.maxPatchVoxels ?? 128 ** 3;
  const minEdge = input.minBottleneckEdge ?? 4;
  const spacing = input.spacing;
  // Start from the median shape, shrink the axis with the largest physical extent until
  // the patch fits the budget (nnU-Net shrinks the largest axis relative to the median).
  const patch = input.shape.map((s) => Math.max(1, s)) as Triple;
  while (patch[0] * patch[1] * patch[2] > budget) {
    const physical = patch.map((p, a) => p * spacing[a]);
    const axis = physical.indexOf(Math.max(...physical));
    patch[axis] = Math.max(minEdge, Math.floor(patch[axis] * 0.9));
  }
  // Stages: downsample an axis while it stays ≥ 2·minEdge and its spacing is within 2× the
  // finest spacing among the axes still being downsampled (anisotropy first evens out).
  const strides: Triple[] = [[1, 1, 1]];
  const kernelSizes: Triple[] = [];
  const current = [...spacing] as Triple;
  const extent = [...patch] as Triple;
  for (let stage = 0; stage < 6; stage++) {
    const finest = Math.min(...current);
    const kernel = current.map((s) => (s > 2 * finest ? 1 : 3)) as Triple;
    kernelSizes.push(kernel);
    const stride = extent.map((e, a) =>
      current[a] <= 2 * finest && e >= 2 * minEdge ? 2 : 1
    ) as Triple;
    if (stride.every((s) => s === 1)) break;
    strides.push(stride);
    for (let a = 0; a < 3; a++) {
      extent[a] = Math.ceil(extent[a] / stride[a]);
      current[a] *= stride[a];
    }
  }
  const stages = strides.length;
  while (kernelSizes.length < stages) kernelSizes.push([3, 3, 3]);
  kernelSizes.length = stages;
  // Round the patch up to a multiple of the total stride per axis.
  const total = [0, 1, 2].map((a) => strides.reduce((p, s) => p * s[a], 1));
  const patchSize = patch.map((p, a) => Math.ceil(p / total[a]) * total[a]) as Triple;
  const base = input.baseFeatures ?? 32;
  const cap = input.maxFeatures ?? 320;
  const features = strides.map((_, i) => Math.min(cap, base * 2 ** i));
  return { spacing: [...spacing] as Triple, patchSize, features, strides, kernelSizes };
}
