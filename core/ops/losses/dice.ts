/**
 * Soft Dice in nnU-Net's form: per class (and per sample unless batch Dice) sums of
 * p·t, p and t give dice = (2·Σpt + smooth) / max(Σp + Σt + smooth, 1e-8), and the loss is
 * −mean dice over the chosen classes. (Σp + Σt equals nnU-Net's 2tp + fp + fn.)
 *
 * The sums are linear, so probabilities larger than one storage binding are summed in
 * slabs (of whole samples, or of voxels of one sample) whose sums are added; the gradient
 * runs on the same slabs.
 *
 * @module
 */

import { recordOp } from "../../autograd.ts";
import { dispatch } from "../../command_queue.ts";
import { deviceLimit, gpu } from "../../device.ts";
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
import { BindingLimitError, bindTensor, runElementwise, type TensorView } from "../run_kernel.ts";
import { copyElements } from "../region_copy.ts";
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
 * need no read-back per step. Inputs larger than one storage binding are summed in slabs.
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
  const layout: DiceLayout = { batch, voxels, classes, labelled };
  const slabs = diceSlabs(layout, probs.shape);
  let stats: Tensor;
  if (!slabs) {
    stats = statisticsOf(probs, target, layout, options);
  } else {
    stats = new Tensor([batch, 3, classes], "f32");
    let running: Tensor | undefined;
    for (const slab of slabs) {
      const [p, t] = slabInputs(probs, target, layout, slab);
      const part = statisticsOf(
        p,
        t,
        { ...layout, batch: slab.samples, voxels: slab.count },
        options,
      );
      p.dispose();
      t.dispose();
      // Slabs of one sample's voxels add up; a slab that ends a sample is written out.
      let done = part;
      if (running) {
        done = add(running, part);
        running.dispose();
        part.dispose();
        running = undefined;
      }
      if (slab.voxel + slab.count < voxels) {
        running = done;
        continue;
      }
      copyElements(done, 0, stats, slab.sample * 3 * classes, done.size);
      done.dispose();
    }
  }
  return recordOp(stats, "diceStatistics", [probs], (g) => {
    if (!slabs) return [diceGradient(g, target, layout, 0, probs.shape, options)];
    const gp = new Tensor(probs.shape, "f32");
    for (const slab of slabs) {
      const t = slabTarget(target, layout, slab);
      const shape = [slab.samples, slab.count, classes];
      const part = diceGradient(g, t, layout, slab.sample, shape, options);
      copyElements(part, 0, gp, (slab.sample * voxels + slab.voxel) * classes, part.size);
      part.dispose();
      t.dispose();
    }
    return [gp];
  }, [target]);
}

/** How probabilities (N, S voxels, K) and their target are laid out. */
interface DiceLayout {
  batch: number;
  voxels: number;
  classes: number;
  /** An i32 label per voxel rather than a target per voxel and class. */
  labelled: boolean;
}

/**
 * Samples `[sample, sample + samples)`, voxels `[voxel, voxel + count)` of each (all of
 * them when `samples` > 1).
 */
interface DiceSlab {
  sample: number;
  samples: number;
  voxel: number;
  count: number;
}

/** Elements bound per sample of `voxels` voxels: probabilities, target and partial sums. */
function footprint(layout: DiceLayout, voxels: number): number {
  const { classes } = layout;
  const partial = Math.ceil(voxels / VOXELS_PER_CHUNK) * 3 * classes;
  return Math.max(voxels * classes, partial, layout.labelled ? voxels : voxels * classes);
}

/**
 * Slabs whose tensors fit one storage binding, or undefined when everything fits whole:
 * whole samples while one fits, else runs of one sample's voxels.
 */
function diceSlabs(layout: DiceLayout, shape: readonly number[]): DiceSlab[] | undefined {
  const { batch, voxels, classes } = layout;
  const limit = Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
  if (batch * footprint(layout, voxels) <= limit) return undefined;
  const slabs: DiceSlab[] = [];
  const perSample = footprint(layout, voxels);
  if (perSample <= limit) {
    const samples = Math.floor(limit / perSample);
    for (let sample = 0; sample < batch; sample += samples) {
      slabs.push({ sample, samples: Math.min(samples, batch - sample), voxel: 0, count: voxels });
    }
    return slabs;
  }
  let count = Math.floor(limit / classes);
  while (count > 0 && footprint(layout, count) > limit) count--;
  if (count < 1) {
    throw new BindingLimitError(
      `diceStatistics: probabilities [${shape}] exceed the storage binding limit ` +
        `(${limit * 4} bytes) and cannot be split: one voxel's ${classes} classes do not fit`,
    );
  }
  for (let sample = 0; sample < batch; sample++) {
    for (let voxel = 0; voxel < voxels; voxel += count) {
      slabs.push({ sample, samples: 1, voxel, count: Math.min(count, voxels - voxel) });
    }
  }
  return slabs;
}

/** The slab's target elements, copied into a tensor of its own. */
function slabTarget(target: Tensor, layout: DiceLayout, slab: DiceSlab): Tensor {
  const width = layout.labelled ? 1 : layout.classes;
  const shape = layout.labelled
    ? [slab.samples, slab.count]
    : [slab.samples, slab.count, layout.classes];
  const part = new Tensor(shape, target.dtype);
  const at = (slab.sample * layout.voxels + slab.voxel) * width;
  copyElements(target, at, part, 0, part.size);
  return part;
}

/** The slab's probabilities (samples, count, K) and target, copied out. */
function slabInputs(
  probs: Tensor,
  target: Tensor,
  layout: DiceLayout,
  slab: DiceSlab,
): [Tensor, Tensor] {
  const p = new Tensor([slab.samples, slab.count, layout.classes], "f32");
  const at = (slab.sample * layout.voxels + slab.voxel) * layout.classes;
  copyElements(probs, at, p, 0, p.size);
  return [p, slabTarget(target, layout, slab)];
}

/** The (N, 3, K) sums of tensors that fit one binding (not recorded). */
function statisticsOf(
  probs: Tensor,
  target: Tensor,
  layout: DiceLayout,
  options: DiceStatisticsOptions,
): Tensor {
  const { batch, voxels, classes, labelled } = layout;
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
  return stats;
}

/**
 * The gradient w.r.t. probabilities of `shape` (samples, …, K) from the statistics'
 * gradient `g` (N, 3, K), its first sample at `sample`. The sums are linear in p:
 * d/dp = g_overlap · t + g_predicted (0 where ignored).
 */
function diceGradient(
  g: Tensor,
  target: Tensor,
  layout: DiceLayout,
  sample: number,
  shape: readonly number[],
  options: DiceStatisticsOptions,
): Tensor {
  const { classes, labelled } = layout;
  const perClass = [3 * classes, ...shape.slice(1, -1).map(() => 0), 1];
  const at = sample * 3 * classes;
  const views: TensorView[] = [
    { tensor: g, strides: perClass, offset: at },
    { tensor: g, strides: perClass, offset: at + classes },
  ];
  let expression: string;
  if (labelled) {
    views.push({
      tensor: target,
      strides: [...contiguousStrides(shape.slice(0, -1)), 0],
      offset: 0,
    });
    const value = `v0 * select(0.0, 1.0, i32(idx % ${classes}u) == v2) + v1`;
    expression = options.ignoreIndex === undefined
      ? value
      : `select(0.0, ${value}, v2 != ${literal(options.ignoreIndex, "i32")})`;
  } else {
    views.push({ tensor: target, strides: contiguousStrides(shape), offset: 0 });
    expression = "v0 * f32(v2) + v1";
  }
  return runElementwise(shape, "f32", views, expression);
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
