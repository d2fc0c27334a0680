/**
 * The compound losses nnU-Net trains with: Dice + cross-entropy for exclusive classes
 * (`DC_and_CE_loss`) and Dice + BCE for one foreground class or overlapping regions
 * (`DC_and_BCE_loss`).
 *
 * @module
 */

import { scope } from "../../scope.ts";
import type { Tensor } from "../../tensor.ts";
import { add, div, maximum, mul } from "../binary.ts";
import { sum } from "../reduce.ts";
import { sigmoid } from "../unary.ts";
import { sigmoidBceLoss } from "./bce.ts";
import { crossEntropyTerms } from "./cross_entropy.ts";
import { diceFromStatistics, diceStatistics, softDiceLoss, type SoftDiceOptions } from "./dice.ts";
import { checkBinaryTargets } from "./check.ts";

/** Options of {@link diceCrossEntropyLoss}. */
export interface DiceCrossEntropyOptions extends SoftDiceOptions {
  /** Weight of the cross-entropy term; default 1. */
  weightCe?: number;
  /** Weight of the Dice term; default 1. */
  weightDice?: number;
}

/**
 * weightCe · CE + weightDice · soft Dice (nnU-Net's `DC_and_CE_loss`): logits
 * (N, D, H, W, K), labels (N, D, H, W) i32. With an ignore label, the CE term is the mean
 * over counted voxels and 0 when none are counted (as nnU-Net does).
 *
 * @example
 * ```ts
 * import { diceCrossEntropyLoss } from "./compound.ts";
 * import { Tensor } from "../../tensor.ts";
 * import { getGpu } from "../../device.ts";
 * await getGpu();
 * const logits = Tensor.from([3, 0, 0, 3], [1, 1, 1, 2, 2]);
 * const labels = Tensor.from([0, 1], [1, 1, 1, 2], "i32");
 * const loss = diceCrossEntropyLoss(logits, labels);
 * ```
 */
export function diceCrossEntropyLoss(
  logits: Tensor,
  labels: Tensor,
  options: DiceCrossEntropyOptions = {},
): Tensor {
  const weightCe = options.weightCe ?? 1;
  const weightDice = options.weightDice ?? 1;
  return scope(() => {
    const { perVoxel, counted } = crossEntropyTerms(logits, labels, options.ignoreIndex);
    const ce = div(sum(perVoxel), maximum(counted, 1));
    const dice = softDiceLoss(logits, labels, options);
    return add(mul(ce, weightCe), mul(dice, weightDice));
  });
}

/** Options of {@link diceBceLoss}. */
export interface DiceBceOptions {
  /** Weight of the BCE term; default 1. */
  weightBce?: number;
  /** Weight of the Dice term; default 1. */
  weightDice?: number;
  /** Dice smoothing; default 1e-5. */
  smooth?: number;
  /** Sum over the whole batch before the Dice ratio; default false. */
  batchDice?: boolean;
}

/**
 * weightBce · BCE + weightDice · soft Dice on sigmoid probabilities over every channel
 * (nnU-Net's `DC_and_BCE_loss` for regions): logits (N, D, H, W, K), binary targets of the
 * same shape (f32 or i32).
 *
 * @example
 * ```ts
 * import { diceBceLoss } from "./compound.ts";
 * import { Tensor } from "../../tensor.ts";
 * import { getGpu } from "../../device.ts";
 * await getGpu();
 * const logits = Tensor.from([2, -1], [1, 1, 1, 2, 1]);
 * const targets = Tensor.from([1, 0], [1, 1, 1, 2, 1]);
 * const loss = diceBceLoss(logits, targets);
 * ```
 */
export function diceBceLoss(
  logits: Tensor,
  targets: Tensor,
  options: DiceBceOptions = {},
): Tensor {
  checkBinaryTargets("diceBceLoss", logits, targets);
  const weightBce = options.weightBce ?? 1;
  const weightDice = options.weightDice ?? 1;
  return scope(() => {
    const bce = sigmoidBceLoss(logits, targets);
    const stats = diceStatistics(sigmoid(logits), targets);
    const dice = diceFromStatistics(stats, {
      smooth: options.smooth,
      batchDice: options.batchDice,
    });
    return add(mul(bce, weightBce), mul(dice, weightDice));
  });
}
