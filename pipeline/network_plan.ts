/**
 * Chooses the network and patch plan for a prepared dataset on the adapter at hand: full
 * nnU-Net-like sizes on a GPU, a CPU-sized plan (smaller patches, fewer features) on a
 * software adapter such as llvmpipe; either way the patch shrinks until the estimated memory
 * of a training step fits the budget.
 *
 * @module
 */

import { gpu } from "../core/mod.ts";
import { planUNet, type UNetPlan } from "../bundles/unet/planner.ts";
import type { PreparedDataset } from "./prepare_dataset.ts";

/** Overrides for {@link planNetwork}. */
export interface NetworkPlanOptions {
  /** Largest patch in voxels. */
  maxPatchVoxels?: number;
  /** Features of the first stage. */
  baseFeatures?: number;
  /** Cap on features. */
  maxFeatures?: number;
  /**
   * Device memory a training step may use, in GiB (default 8 on a GPU, as nnU-Net plans
   * for; 4 on a software adapter, where it is host memory).
   */
  memoryBudgetGiB?: number;
  /** Patches per batch, for the memory estimate (default 2). */
  batchSize?: number;
}

/** A plan in (D, H, W) order from the dataset's fingerprint and preprocessing plan. */
export function planNetwork(prepared: PreparedDataset, options: NetworkPlanOptions = {}): UNetPlan {
  const software = gpu().isSoftware;
  const { fingerprint, plan } = prepared;
  // Volumes store (i, j, k); tensors are (D, H, W) = (k, j, i).
  const spacingIJK = plan.targetSpacing ?? fingerprint.medianSpacing;
  const shapeIJK = fingerprint.medianShape.map((s, a) =>
    Math.round((s * fingerprint.medianSpacing[a]) / spacingIJK[a])
  );
  return planUNet({
    spacing: [spacingIJK[2], spacingIJK[1], spacingIJK[0]],
    shape: [shapeIJK[2], shapeIJK[1], shapeIJK[0]],
    inChannels: prepared.channels,
    classes: prepared.classes,
    maxPatchVoxels: options.maxPatchVoxels ?? (software ? 48 * 64 * 48 : 128 ** 3),
    baseFeatures: options.baseFeatures ?? (software ? 16 : 32),
    maxFeatures: options.maxFeatures ?? (software ? 128 : 320),
    memoryBudgetBytes: (options.memoryBudgetGiB ?? (software ? 4 : 8)) * 2 ** 30,
    batchSize: options.batchSize ?? 2,
  });
}
