/**
 * A U-Net planner in nnU-Net's spirit: from a dataset's median spacing and shape, a voxel
 * budget and a memory budget, derive the patch size, the stages' strides and kernel sizes
 * (anisotropic where spacing demands) and the feature widths. The patch shrinks until both
 * budgets hold, the memory one judged by {@link estimateTrainingBytes}.
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
  /**
   * Bytes a training step may use on the device (activations kept for backward, their
   * gradients, weights and optimizer state); default: no limit beyond `maxPatchVoxels`.
   */
  memoryBudgetBytes?: number;
  /** Patches per training batch, for the memory estimate (default 2). */
  batchSize?: number;
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
  const memoryBudget = input.memoryBudgetBytes ?? Infinity;
  const minEdge = input.minBottleneckEdge ?? 4;
  const spacing = input.spacing;
  const base = input.baseFeatures ?? 32;
  const cap = input.maxFeatures ?? 320;
  const planFor = (patch: Triple): UNetPlan => {
    const { strides, kernelSizes } = stagesFor(patch, spacing, minEdge);
    // Round the patch up to a multiple of the total stride per axis.
    const total = [0, 1, 2].map((a) => strides.reduce((p, s) => p * s[a], 1));
    const patchSize = patch.map((p, a) => Math.ceil(p / total[a]) * total[a]) as Triple;
    const features = strides.map((_, i) => Math.min(cap, base * 2 ** i));
    return { spacing: [...spacing] as Triple, patchSize, features, strides, kernelSizes };
  };
  const bytesOf = (plan: UNetPlan) =>
    estimateTrainingBytes(plan, input.inChannels, input.classes, input.batchSize ?? 2);
  // Start from the median shape, shrink the axis with the largest physical extent until
  // the patch fits both budgets (nnU-Net shrinks the largest axis relative to the median).
  const patch = input.shape.map((s) => Math.max(1, s)) as Triple;
  let plan = planFor(patch);
  while (patch[0] * patch[1] * patch[2] > budget || bytesOf(plan) > memoryBudget) {
    const physical = patch.map((p, a) => (p > minEdge ? p * spacing[a] : -1));
    const axis = physical.indexOf(Math.max(...physical));
    if (physical[axis] < 0) {
      throw new RangeError(
        `no patch fits ${(memoryBudget / 2 ** 30).toFixed(2)} GiB: even ` +
          `${patch.join("×")} needs ${(bytesOf(plan) / 2 ** 30).toFixed(2)} GiB; ` +
          "use fewer features, a smaller batch or a larger budget",
      );
    }
    patch[axis] = Math.max(minEdge, Math.floor(patch[axis] * 0.9));
    plan = planFor(patch);
  }
  return plan;
}

/** Strides and kernel sizes of the stages for a patch (before rounding it to the strides). */
function stagesFor(
  patch: Triple,
  spacing: Triple,
  minEdge: number,
): { strides: Triple[]; kernelSizes: Triple[] } {
  // Downsample an axis while it stays ≥ 2·minEdge and its spacing is within 2× the finest
  // spacing among the axes still being downsampled (anisotropy first evens out).
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
  return { strides, kernelSizes };
}

/**
 * Estimated device bytes of one training step of the plain conv U-Net for `plan`: per stage
 * the float32 tensors autograd keeps for backward (encoder: two conv → norm → activation
 * blocks; decoder: the transposed conv, the skip concat, two blocks and a 1×1 head), their
 * gradients during backward (about half alive at once), and four copies of the weights (weights, gradients, momentum,
 * EMA). A planning figure, checked against a measured step in the tests, not an exact count.
 *
 * @example
 * ```ts
 * import { estimateTrainingBytes, planUNet } from "./planner.ts";
 * const plan = planUNet({ spacing: [1, 1, 1], shape: [36, 50, 35], inChannels: 1, classes: 3 });
 * const gib = estimateTrainingBytes(plan, 1, 3, 2) / 2 ** 30;
 * ```
 */
export function estimateTrainingBytes(
  plan: UNetPlan,
  inChannels: number,
  classes: number,
  batchSize: number,
): number {
  let voxels = plan.patchSize[0] * plan.patchSize[1] * plan.patchSize[2];
  let activations = voxels * inChannels;
  let weights = 0;
  let previous = inChannels;
  const last = plan.features.length - 1;
  plan.features.forEach((features, stage) => {
    voxels /= plan.strides[stage][0] * plan.strides[stage][1] * plan.strides[stage][2];
    const taps = plan.kernelSizes[stage].reduce((a, b) => a * b, 1);
    // Encoder: two blocks of conv, norm and activation outputs.
    activations += 6 * voxels * features;
    weights += taps * (previous * features + features * features);
    if (stage < last) {
      // Decoder: upsampled features, the concat (twice the width), two blocks, one head.
      activations += voxels * (features + 2 * features + 6 * features + classes);
      const below = plan.features[stage + 1];
      weights += below * features * 8 + taps * (2 * features * features + features * features) +
        features * classes;
    }
    previous = features;
  });
  // During backward the gradients of the kept tensors are alive beside them, but not all
  // at once: the pool hands a freed gradient's buffer to the next; 1.5× matched measured
  // steps (tests/bundles/planner_test.ts).
  return 4 * (1.5 * batchSize * activations + 4 * weights);
}
