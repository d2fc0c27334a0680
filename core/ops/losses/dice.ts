/**
 * Soft Dice in nnU-Net's form: per class (and per sample unless batch Dice) sums of
 * p·t, p and t give dice = (2·Σpt + smooth) / max(Σp + Σt + smooth, 1e-8), and the loss is
 * −mean dice over the chosen classes. (Σp + Σt equals nnU-Net's 2tp + fp + fn.)
 *
 * @module
 */

import { recordOp } from "../../autograd.ts";
import { dispatch } from "../../command_queue.ts";
import { gpu } from "../../device.ts";
import { scope } from "../../scope.ts";
import { Tensor } from "../../tensor.ts";
import { foldGrid } from "../../../shaders/grid.ts";
import { diceStatisticsKernel } from "../../../shaders/losses.ts";
import { contiguousStrides } from "../../../shaders/elementwise.ts";
import { literal } from "../../../shaders/wgsl.ts";
import { add, div, maximum, mul, neg } from "../binary.ts";
import { slice } from "../movement.ts";
import { mean, sum } from "../reduce.ts";
import { softmax } from "../softmax.ts";
import { bindTensor, runElementwise, type TensorView } from "../run_kernel.ts";
import { checkBinaryTargets, checkLabels, LossArgumentError } from "./check.ts";

/** Voxels each invocation sums before the second reduction stage. */
const VOXELS_PER_CHUNK = 128;

/** Options of {@link diceStatistics}. */
export interface DiceStatisticsOptions {
  /** With a label map: voxels with this label are left out of every sum. */
  ignoreIndex?: number;
}

/**
 * Per-sample, per-class sums [Σ p·t, Σ p, Σ t] of probabilities `probs` (N, …, K) against
 * a label map (N, …) i32 (one-hot per class) or binary targets shaped like `probs`.
 * Returns (N, 3, K), differentiable w.r.t. `probs`; it stays on the GPU, so Dice metrics
 * need no read-back per step.
 */
export function diceStatistics(
  probs: Tensor,
  target: Tensor,
  options: DiceStatisticsOptions = {},
): Tensor {
  gpu();
  const labelled = target.rank === probs.rank - 1;
  if (labelled) checkLabels("diceStatistics", probs, target);
  else checkBinaryTargets("diceStatistics", probs, target);
  const batch = probs.shape[0];
  const classes = probs.shape[probs.rank - 1];
  const voxels = probs.size / Math.max(1, batch * classes);
  const { code, groups, chunks } = diceStatisticsKernel({
    batch,
    voxels,
    classes,
    chunk: VOXELS_PER_CHUNK,
    target: labelled ? "labels" : "binary",
    targetDtype: target.dtype,
    ignoreIndex: labelled ? options.ignoreIndex : undefined,
  });
  const partial = new Tensor([batch, chunks, 3, classes], "f32");
  if (partial.size > 0) dispatch(code, [partial, probs, target].map(bindTensor), foldGrid(groups));
  const stats = sum(partial, 1);
  partial.dispose();
  return recordOp(stats, "diceStatistics", [probs], (g) => {
    // The sums are linear in p: d/dp = g_overlap · t + g_predicted (0 where ignored).
    const perClass = [3 * classes, ...probs.shape.slice(1, -1).map(() => 0), 1];
    const views: TensorView[] = [
      { tensor: g, strides: perClass, offset: 0 },
      { tensor: g, strides: perClass, offset: classes },
    ];
    let expression: string;
    if (labelled) {
      views.push({ tensor: target, strides: [...contiguousStrides(target.shape), 0], offset: 0 });
      const value = `v0 * select(0.0, 1.0, i32(idx % ${classes}u) == v2) + v1`;
      expression = options.ignoreIndex === undefined
        ? value
        : `select(0.0, ${value}, v2 != ${literal(options.ignoreIndex, "i32")})`;
    } else {
      views.push({ tensor: target, strides: contiguousStrides(target.shape), offset: 0 });
      expression = "v0 * f32(v2) + v1";
    }
    return [runElementwise(probs.shape, "f32", views, expression)];
  }, [target]);
}

/** Options of {@link softDiceLoss}. */
export interface SoftDiceOptions {
  /** Added to numerator and denominator; default 1e-5 (nnU-Net). */
  smooth?: number;
  /** Count class 0 too; default false (nnU-Net's `do_bg=False`). */
  includeBackground?: boolean;
  /** Sum over the whole batch before the ratio instead of per sample; default false. */
  batchDice?: boolean;
  /** Voxels with this label are left out. */
  ignoreIndex?: number;
}

/**
 * −mean soft Dice from (N, 3, K) statistics over classes from `firstClass` (and samples).
 * Exported for the sigmoid variant, which builds its own statistics.
 */
export function diceFromStatistics(
  stats: Tensor,
  options: { smooth?: number; batchDice?: boolean; firstClass?: number } = {},
): Tensor {
  const smooth = options.smooth ?? 1e-5;
  const first = options.firstClass ?? 0;
  return scope(() => {
    const pooled = options.batchDice ? sum(stats, 0, true) : stats;
    const part = (row: number) =>
      slice(pooled, [undefined, { start: row, stop: row + 1 }, { start: first }]);
    const numerator = add(mul(part(0), 2), smooth);
    const denominator = maximum(add(add(part(1), part(2)), smooth), 1e-8);
    return neg(mean(div(numerator, denominator)));
  });
}

/**
 * nnU-Net's soft Dice loss on softmax probabilities: logits (N, D, H, W, K) f32, labels
 * (N, D, H, W) i32. Returns a scalar in [−1, 0].
 *
 * @example
 * ```ts
 * import { softDiceLoss } from "./dice.ts";
 * import { Tensor } from "../../tensor.ts";
 * import { getGpu } from "../../device.ts";
 * await getGpu();
 * const logits = Tensor.from([3, 0, 0, 3], [1, 1, 1, 2, 2]);
 * const labels = Tensor.from([0, 1], [1, 1, 1, 2], "i32");
 * const loss = softDiceLoss(logits, labels); // close to −1
 * ```
 */
export function softDiceLoss(
  logits: Tensor,
  labels: Tensor,
  options: SoftDiceOptions = {},
): Tensor {
  checkLabels("softDiceLoss", logits, labels);
  const classes = logits.shape[logits.rank - 1];
  const includeBackground = options.includeBackground ?? false;
  if (!includeBackground && classes < 2) {
    throw new LossArgumentError(
      `softDiceLoss: ${classes} class without background leaves nothing to score ` +
        "(pass includeBackground: true or more classes)",
    );
  }
  return scope(() => {
    const probs = softmax(logits, -1);
    const stats = diceStatistics(probs, labels, { ignoreIndex: options.ignoreIndex });
    return diceFromStatistics(stats, {
      smooth: options.smooth,
      batchDice: options.batchDice,
      firstClass: includeBackground ? 0 : 1,
    });
  });
}
