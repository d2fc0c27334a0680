/**
 * Stochastic gradient descent with momentum, Nesterov momentum and weight decay, in
 * PyTorch's formulation, as one fused GPU kernel per parameter.
 *
 * @module
 */

import { Tensor } from "../tensor.ts";
import { SGD_HYPER, sgdKernel } from "../../shaders/optim.ts";
import {
  checkNonNegative,
  checkUnitInterval,
  Optimizer,
  OptimizerConfigError,
} from "./optimizer.ts";

/** Settings of {@link SGD}. */
export interface SGDOptions {
  /** Learning rate (change it per step through `optimizer.lr`). */
  lr: number;
  /** Momentum factor μ (0: plain SGD). */
  momentum?: number;
  /** Dampening τ of the momentum update. */
  dampening?: number;
  /** L2 penalty λ added to the gradient. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

/**
 * SGD: g ← ∇ + λp; b ← μb + (1 − τ)g (b ← g at the first step); g ← g + μb (Nesterov) or
 * b; p ← p − ηg. nnU-Net trains with `{ momentum: 0.99, nesterov: true, weightDecay: 3e-5 }`.
 *
 * @example
 * ```ts
 * import { SGD } from "./sgd.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const w = Tensor.from([1, 2, 3]).keep();
 * w.requiresGrad = true;
 * const optimizer = new SGD([w], { lr: 0.01, momentum: 0.99, nesterov: true });
 * w.grad = Tensor.from([0.1, 0.2, 0.3]);
 * optimizer.step();
 * optimizer.zeroGrad();
 * ```
 */
export class SGD extends Optimizer {
  /** Stored in the state dict. */
  readonly kind = "sgd";
  /** Momentum factor μ. */
  momentum: number;
  /** Dampening τ. */
  dampening: number;
  /** L2 penalty λ. */
  weightDecay: number;
  /** Nesterov momentum. */
  nesterov: boolean;

  /** Creates the optimizer over `params` (e.g. `module.parameters()`). */
  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, options.lr);
    this.momentum = 0;
    this.dampening = 0;
    this.weightDecay = 0;
    this.nesterov = false;
    this.setHyperParameters({
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
    });
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    checkNonNegative("lr", this.lr);
    const values = new Float32Array(SGD_HYPER.length);
    values[SGD_HYPER.lr] = this.lr;
    values[SGD_HYPER.momentum] = this.momentum;
    values[SGD_HYPER.dampening] = this.dampening;
    values[SGD_HYPER.weightDecay] = this.weightDecay;
    const hyper = Tensor.from(values);
    const withMomentum = this.momentum !== 0;
    this.params.forEach((p, i) => {
      const g = this.gradOf(i);
      if (!g || p.size === 0) return;
      const firstStep = withMomentum && !this.state[i].has("momentum_buffer");
      const kernel = sgdKernel(p.size, {
        momentum: withMomentum,
        nesterov: this.nesterov,
        firstStep,
      });
      const bound = [p, g, hyper];
      if (withMomentum) bound.push(this.stateTensor(i, "momentum_buffer"));
      this.run(kernel, bound);
      this.steps[i]++;
    });
    hyper.dispose();
  }

  /** The hyper-parameters saved in the state dict. */
  protected hyperParameters(): Record<string, number | boolean> {
    return {
      lr: this.lr,
      momentum: this.momentum,
      dampening: this.dampening,
      weightDecay: this.weightDecay,
      nesterov: this.nesterov,
    };
  }

  /** Validates and applies hyper-parameters. */
  protected setHyperParameters(hyper: Record<string, number | boolean>): void {
    const momentum = checkNonNegative("momentum", hyper.momentum ?? this.momentum);
    const dampening = checkUnitInterval("dampening", hyper.dampening ?? this.dampening);
    const weightDecay = checkNonNegative("weightDecay", hyper.weightDecay ?? this.weightDecay);
    const nesterov = hyper.nesterov ?? this.nesterov;
    if (typeof nesterov !== "boolean") {
      throw new OptimizerConfigError(`nesterov must be a boolean, got ${nesterov}`);
    }
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new OptimizerConfigError("Nesterov momentum needs momentum > 0 and dampening 0");
    }
    if (hyper.lr !== undefined) this.lr = checkNonNegative("lr", hyper.lr);
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }
}
