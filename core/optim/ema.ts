/**
 * Exponential moving average of model weights: after every optimizer step the shadow copy
 * moves a fraction (1 − d) toward the live weights. Evaluating with the shadow weights
 * usually gives smoother, better results than the last iterate.
 *
 * @module
 */

import { dispatch } from "../command_queue.ts";
import { Tensor } from "../tensor.ts";
import { copyOf } from "../ops/binary.ts";
import { assign } from "../ops/assign.ts";
import { bindTensor } from "../ops/run_kernel.ts";
import { noGrad } from "../autograd.ts";
import type { HostTensor } from "../serialize/host_tensor.ts";
import { hostTensorToFloat32 } from "../serialize/host_tensor.ts";
import { emaKernel, swapKernel } from "../../shaders/optim.ts";
import { OptimizerConfigError } from "./optimizer.ts";

/** Anything with named float tensors to average (a `Module`, or a plain map). */
export type NamedTensors = ReadonlyMap<string, Tensor> | Iterable<readonly [string, Tensor]>;

/** Something that lists its named parameters, as `Module` does. */
export interface HasNamedParameters {
  /** Parameters by dotted name. */
  namedParameters(): NamedTensors;
}

/** Settings of {@link EMA}. */
export interface EMAOptions {
  /** Decay d of the average (the weight kept by the shadow each update), in [0, 1]. */
  decay?: number;
  /**
   * Ramp the decay up early on: d_t = min(decay, (1 + t) / (10 + t)) for update t
   * (counted from 0), so the average is not dominated by the random initialisation.
   */
  warmup?: boolean;
}

/** What {@link EMA.stateDict} returns. */
export interface EMAState {
  /** Updates applied so far. */
  step: number;
  /** The configured decay. */
  decay: number;
  /** Whether the decay warms up. */
  warmup: boolean;
  /** The shadow weights by parameter name. */
  weights: Map<string, HostTensor>;
}

/**
 * An exponential moving average of weights, one GPU kernel per tensor per update.
 *
 * @example
 * ```ts
 * import { EMA } from "./ema.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const w = Tensor.from([1, 2]).keep();
 * const ema = new EMA(new Map([["w", w]]), { decay: 0.999, warmup: true });
 * // after each optimizer step:
 * ema.update();
 * // evaluate with the averaged weights:
 * ema.swapIn();
 * ema.swapOut();
 * ```
 */
export class EMA {
  /** The configured decay. */
  readonly decay: number;
  /** Whether the decay warms up. */
  readonly warmup: boolean;
  #step = 0;
  #live: Map<string, Tensor>;
  #shadow: Map<string, Tensor>;
  #swapped = false;

  /** Starts the average at the current values of `source`'s tensors. */
  constructor(source: NamedTensors | HasNamedParameters, options: EMAOptions = {}) {
    const decay = options.decay ?? 0.999;
    if (typeof decay !== "number" || !(decay >= 0 && decay <= 1)) {
      throw new OptimizerConfigError(`EMA decay must be in [0, 1], got ${decay}`);
    }
    this.decay = decay;
    this.warmup = options.warmup ?? false;
    const named = "namedParameters" in source ? source.namedParameters() : source;
    this.#live = new Map(named);
    this.#shadow = new Map();
    noGrad(() => {
      for (const [name, t] of this.#live) {
        if (t.dtype !== "f32") throw new OptimizerConfigError(`EMA: "${name}" is ${t.dtype}`);
        this.#shadow.set(name, copyOf(t).keep());
      }
    });
  }

  /** Updates applied so far. */
  get step(): number {
    return this.#step;
  }

  /** True between `swapIn()` and `swapOut()`. */
  get swapped(): boolean {
    return this.#swapped;
  }

  /** The decay the next update uses. */
  currentDecay(): number {
    const t = this.#step;
    return this.warmup ? Math.min(this.decay, (1 + t) / (10 + t)) : this.decay;
  }

  /** The averaged tensors by name (owned by the EMA; do not dispose). */
  get shadow(): ReadonlyMap<string, Tensor> {
    return this.#shadow;
  }

  /** Moves the average toward the live weights: s ← d·s + (1 − d)·p. Records GPU work. */
  update(): void {
    if (this.#swapped) {
      throw new OptimizerConfigError("EMA.update() while swapped in: call swapOut() first");
    }
    const hyper = Tensor.from([this.currentDecay()]);
    for (const [name, live] of this.#live) {
      if (live.size === 0) continue;
      const k = emaKernel(live.size);
      dispatch(k.code, [this.#shadow.get(name)!, live, hyper].map(bindTensor), k.workgroups);
    }
    hyper.dispose();
    this.#step++;
  }

  /** Puts the averaged weights into the live tensors (keeping the live ones aside). */
  swapIn(): void {
    if (this.#swapped) throw new OptimizerConfigError("EMA weights are already swapped in");
    this.#swap();
    this.#swapped = true;
  }

  /** Restores the live weights after {@link swapIn}. */
  swapOut(): void {
    if (!this.#swapped) throw new OptimizerConfigError("EMA.swapOut() without swapIn()");
    this.#swap();
    this.#swapped = false;
  }

  #swap(): void {
    for (const [name, live] of this.#live) {
      if (live.size === 0) continue;
      const k = swapKernel(live.size);
      dispatch(k.code, [live, this.#shadow.get(name)!].map(bindTensor), k.workgroups);
    }
  }

  /**
   * Copies the averaged weights into another model's tensors of the same names and shapes
   * (e.g. a separate evaluation copy); the live weights stay as they are.
   */
  copyTo(target: NamedTensors | HasNamedParameters): void {
    const named = new Map("namedParameters" in target ? target.namedParameters() : target);
    for (const [name, shadow] of this.#shadow) {
      const t = named.get(name);
      if (!t) throw new OptimizerConfigError(`EMA.copyTo: the target has no "${name}"`);
      const source = this.#swapped ? this.#live.get(name)! : shadow;
      assign(t, source);
    }
  }

  /** Reads the shadow weights back (the live ones if swapped in) with the counters. */
  async stateDict(): Promise<EMAState> {
    const weights = new Map<string, HostTensor>();
    for (const [name, t] of this.#shadow) {
      const source = this.#swapped ? this.#live.get(name)! : t;
      const data = new Float32Array(await source.read());
      weights.set(name, { dtype: "F32", shape: [...t.shape], data });
    }
    return { step: this.#step, decay: this.decay, warmup: this.warmup, weights };
  }

  /** Restores shadow weights and the step count (names and shapes must match). */
  loadStateDict(state: EMAState): void {
    if (this.#swapped) throw new OptimizerConfigError("EMA.loadStateDict() while swapped in");
    for (const [name, t] of this.#shadow) {
      const host = state.weights.get(name);
      if (!host) throw new OptimizerConfigError(`EMA state lacks "${name}"`);
      if (host.shape.join() !== t.shape.join()) {
        throw new OptimizerConfigError(
          `EMA state "${name}" has shape [${host.shape}], expected [${t.shape}]`,
        );
      }
    }
    for (const name of state.weights.keys()) {
      if (!this.#shadow.has(name)) {
        throw new OptimizerConfigError(`EMA state has unknown "${name}"`);
      }
    }
    for (const [name, t] of this.#shadow) t.write(hostTensorToFloat32(state.weights.get(name)!));
    this.#step = state.step;
  }

  /** Frees the shadow tensors. */
  dispose(): void {
    for (const t of this.#shadow.values()) t.dispose();
    this.#shadow.clear();
  }
}
