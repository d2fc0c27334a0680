/**
 * Patch-based validation pseudo-Dice: per-class true/false positive and false negative
 * counts accumulated on the GPU over an epoch's validation batches, read once at the end.
 *
 * @module
 */

import {
  add,
  assign,
  cast,
  classLabels,
  concat,
  eq,
  mul,
  noGrad,
  reshape,
  scope,
  sub,
  sum,
  type Tensor,
  zeros,
} from "../core/mod.ts";

/** Accumulates TP/FP/FN per foreground class on the GPU. */
export class PseudoDiceAccumulator {
  /** Number of classes including background. */
  readonly classes: number;
  #counts: Tensor;

  /** Creates an accumulator for `classes` classes (background = 0 is not scored). */
  constructor(classes: number) {
    if (classes < 2) throw new RangeError("pseudo-Dice needs at least one foreground class");
    this.classes = classes;
    this.#counts = zeros([classes - 1, 3]).keep();
  }

  /**
   * Adds one batch: logits (N, D, H, W, K) and labels (N, D, H, W) i32. No GPU sync. A
   * single-channel output (K = 1, sigmoid, binary task) predicts class 1 where its logit > 0.
   */
  add(logits: Tensor, labels: Tensor): void {
    noGrad(() =>
      scope(() => {
        const predicted = classLabels(logits);
        const rows: Tensor[] = [];
        for (let c = 1; c < this.classes; c++) {
          const p = cast(eq(predicted, c), "f32");
          const l = cast(eq(labels, c), "f32");
          const tp = sum(mul(p, l));
          const fp = sub(sum(p), tp);
          const fn = sub(sum(l), tp);
          rows.push(
            reshape(concat([reshape(tp, [1]), reshape(fp, [1]), reshape(fn, [1])]), [1, 3]),
          );
        }
        assign(this.#counts, add(this.#counts, concat(rows, 0)));
      })
    );
  }

  /**
   * Reads the counts (one GPU round trip), returns Dice per foreground class (NaN when a
   * class occurs in neither prediction nor label), and resets the counters. An `extra` f32
   * tensor (the validation loss sum, say) is read in the same round trip.
   */
  async read(
    extra?: Tensor,
  ): Promise<{ dice: number[]; tp: number[]; fp: number[]; fn: number[]; extra: number[] }> {
    const packed = extra
      ? noGrad(() =>
        scope(() =>
          concat([reshape(extra, [extra.size]), reshape(this.#counts, [this.#counts.size])])
        )
      )
      : undefined;
    const all = await (packed ?? this.#counts).read();
    packed?.dispose();
    const extraValues = Array.from(all.subarray(0, extra?.size ?? 0));
    const values = all.subarray(extra?.size ?? 0);
    const tp: number[] = [];
    const fp: number[] = [];
    const fn: number[] = [];
    const dice: number[] = [];
    for (let c = 0; c < this.classes - 1; c++) {
      tp.push(values[3 * c]);
      fp.push(values[3 * c + 1]);
      fn.push(values[3 * c + 2]);
      const denominator = 2 * tp[c] + fp[c] + fn[c];
      dice.push(denominator > 0 ? (2 * tp[c]) / denominator : NaN);
    }
    noGrad(() => {
      const cleared = zeros([this.classes - 1, 3]);
      assign(this.#counts, cleared);
      cleared.dispose();
    });
    return { dice, tp, fp, fn, extra: extraValues };
  }

  /** Frees the GPU counters. */
  dispose(): void {
    this.#counts.dispose();
  }
}
