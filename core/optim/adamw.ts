/**
 * AdamW: Adam with decoupled weight decay and bias correction, as in PyTorch, as one fused
 * GPU kernel per parameter.
 *
 * @module
 */

import { Tensor } from "../tensor.ts";
import { full } from "../ops/creation.ts";
import { ADAMW_HYPER, adamwKernel } from "../../shaders/optim.ts";
import {
  checkNonNegative,
  checkUnitInterval,
  Optimizer,
  OptimizerConfigError,
} from "./optimizer.ts";

/** Settings of {@link AdamW}. */
export interface AdamWOptions {
  /** Learning rate (change it per step through `optimizer.lr`). */
  lr: number;
  /** Decay rates of the first and second moment estimates. */
  betas?: readonly [number, number];
  /** Added to the denominator for stability. */
  eps?: number;
  /** Decoupled weight decay λ: p ← p(1 − ηλ) each step. */
  weightDecay?: number;
}

/**
 * AdamW: p ← p(1 − ηλ); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 * p ← p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε), t counted per parameter.
 *
 * @example
 * ```ts
 * import { AdamW } from "./adamw.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const w = Tensor.from([1, 2, 3]).keep();
 * const optimizer = new AdamW([w], { lr: 1e-3, weightDecay: 1e-2 });
 * w.grad = Tensor.from([0.1, 0.2, 0.3]);
 * optimizer.step();
 * ```
 */
export class AdamW extends Optimizer {
  /** Stored in the state dict. */
  readonly kind = "adamw";
  /** β₁. */
  beta1 = 0.9;
  /** β₂. */
  beta2 = 0.999;
  /** ε. */
  eps = 1e-8;
  /** Decoupled weight decay λ. */
  weightDecay = 1e-2;

  /** Creates the optimizer over `params` (e.g. `module.parameters()`). */
  constructor(params: Iterable<Tensor>, options: AdamWOptions) {
    super(params, options.lr);
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.setHyperParameters({
      beta1,
      beta2,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 1e-2,
    });
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    checkNonNegative("lr", this.lr);
    // Parameters usually share a step count; one hyper buffer per distinct count keeps the
    // bias corrections exact (computed here in float64).
    const hyperByStep = new Map<number, Tensor>();
    const hyperFor = (t: number): Tensor => {
      let h = hyperByStep.get(t);
      if (!h) {
        const values = new Float32Array(ADAMW_HYPER.length);
        values[ADAMW_HYPER.lr] = this.lr;
        values[ADAMW_HYPER.beta1] = this.beta1;
        values[ADAMW_HYPER.beta2] = this.beta2;
        values[ADAMW_HYPER.eps] = this.eps;
        values[ADAMW_HYPER.weightDecay] = this.weightDecay;
        values[ADAMW_HYPER.biasCorrection1] = 1 - this.beta1 ** t;
        values[ADAMW_HYPER.biasCorrection2Sqrt] = Math.sqrt(1 - this.beta2 ** t);
        hyperByStep.set(t, h = Tensor.from(values));
      }
      return h;
    };
    this.params.forEach((p, i) => {
      const g = this.gradOf(i);
      if (!g || p.size === 0) return;
      const slots = this.state[i];
      if (!slots.has("exp_avg")) {
        slots.set("exp_avg", full(p.shape, 0).keep());
        slots.set("exp_avg_sq", full(p.shape, 0).keep());
      }
      const t = ++this.steps[i];
      this.run(adamwKernel(p.size), [
        p,
        g,
        hyperFor(t),
        slots.get("exp_avg")!,
        slots.get("exp_avg_sq")!,
      ]);
    });
    for (const h of hyperByStep.values()) h.dispose();
  }

  /** The hyper-parameters saved in the state dict. */
  protected hyperParameters(): Record<string, number | boolean> {
    return {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
    };
  }

  /** Validates and applies hyper-parameters. */
  protected setHyperParameters(hyper: Record<string, number | boolean>): void {
    const beta1 = checkUnitInterval("betas[0]", hyper.beta1 ?? this.beta1);
    const beta2 = checkUnitInterval("betas[1]", hyper.beta2 ?? this.beta2);
    const eps = checkNonNegative("eps", hyper.eps ?? this.eps);
    const weightDecay = checkNonNegative("weightDecay", hyper.weightDecay ?? this.weightDecay);
    if (hyper.lr !== undefined) this.lr = checkNonNegative("lr", hyper.lr);
    if (eps === 0 && beta2 === 0) {
      throw new OptimizerConfigError("eps 0 with beta2 0 divides by zero on zero gradients");
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }
}
