/**
 * The base of the GPU optimizers: the parameter list, per-parameter state tensors and step
 * counts, `zeroGrad`, and saving/restoring state as host tensors plus JSON-safe scalars.
 * Subclasses give one fused kernel per parameter.
 *
 * The learning rate is a plain property: set `optimizer.lr = schedule.lr()` before each
 * `step()`. It travels to the GPU in a small buffer written per step, never in shader text.
 *
 * @module
 */

import { dispatch } from "../command_queue.ts";
import { Tensor } from "../tensor.ts";
import { zeroGrad } from "../ops/backward.ts";
import { bindTensor } from "../ops/run_kernel.ts";
import type { HostTensor } from "../serialize/host_tensor.ts";
import { hostTensorToFloat32 } from "../serialize/host_tensor.ts";
import type { OptimKernel } from "../../shaders/optim.ts";

/** Thrown for bad optimizer settings or a state that does not fit the optimizer. */
export class OptimizerConfigError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "OptimizerConfigError";
  }
}

/** What `stateDict()` returns: enough to continue exactly where the optimizer stopped. */
export interface OptimizerState {
  /** Which optimizer wrote the state (`"sgd"`, `"adamw"`); loading into another fails. */
  kind: string;
  /** Hyper-parameters (learning rate, betas, …), JSON-safe. */
  hyper: Record<string, number | boolean>;
  /** Updates applied to each parameter so far, in parameter order. */
  steps: number[];
  /**
   * State tensors keyed `"<parameter index>.<name>"` as PyTorch numbers its state, e.g.
   * `"0.momentum_buffer"`, `"3.exp_avg"`, `"3.exp_avg_sq"`.
   */
  tensors: Map<string, HostTensor>;
}

/** A fused GPU optimizer over a fixed list of float32 parameters. */
export abstract class Optimizer {
  /** Which optimizer this is, stored in the state dict. */
  abstract readonly kind: string;
  /** The parameters updated by `step()`, in the order given. */
  readonly params: readonly Tensor[];
  /** Learning rate used by the next `step()` (set it per step from a schedule). */
  lr: number;
  /** Updates applied to each parameter (parameters without a gradient are skipped). */
  protected readonly steps: number[];
  /** Per-parameter state tensors by name (kept: they outlive every scope). */
  protected readonly state: Map<string, Tensor>[];

  /** Validates the parameters and the learning rate. */
  protected constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    this.params.forEach((p, i) => {
      if (p.dtype !== "f32") {
        throw new OptimizerConfigError(`parameter ${i} is ${p.dtype}; optimizers need f32`);
      }
    });
    if (new Set(this.params).size !== this.params.length) {
      throw new OptimizerConfigError("a parameter appears more than once in the list");
    }
    checkNonNegative("lr", lr);
    this.lr = lr;
    this.steps = this.params.map(() => 0);
    this.state = this.params.map(() => new Map());
  }

  /** Applies one update to every parameter that has a gradient. Records GPU work only. */
  abstract step(): void;

  /** The hyper-parameters saved in the state dict. */
  protected abstract hyperParameters(): Record<string, number | boolean>;

  /** Restores hyper-parameters saved by {@link hyperParameters} (validated). */
  protected abstract setHyperParameters(hyper: Record<string, number | boolean>): void;

  /** Drops every parameter's gradient (the next backward starts from zero). */
  zeroGrad(): void {
    zeroGrad(this.params);
  }

  /** The gradient of parameter `index`, checked against its shape; undefined if none. */
  protected gradOf(index: number): Tensor | undefined {
    const p = this.params[index];
    const g = p.grad;
    if (!g) return undefined;
    if (g.shape.join() !== p.shape.join()) {
      throw new OptimizerConfigError(
        `parameter ${index} [${p.shape}] has a gradient of shape [${g.shape}]`,
      );
    }
    return g;
  }

  /** A state tensor of parameter `index`, created (uninitialised) on first use. */
  protected stateTensor(index: number, name: string): Tensor {
    const slots = this.state[index];
    let t = slots.get(name);
    if (!t) {
      t = new Tensor(this.params[index].shape, "f32").keep();
      slots.set(name, t);
    }
    return t;
  }

  /** Records one kernel over `tensors` (already in binding order). */
  protected run(kernel: OptimKernel, tensors: readonly Tensor[]): void {
    dispatch(kernel.code, tensors.map(bindTensor), kernel.workgroups);
  }

  /** Reads every state tensor back (one GPU round trip per tensor) with the scalars. */
  async stateDict(): Promise<OptimizerState> {
    const tensors = new Map<string, HostTensor>();
    for (let i = 0; i < this.params.length; i++) {
      for (const [name, t] of this.state[i]) {
        const data = new Float32Array(await t.read());
        tensors.set(`${i}.${name}`, { dtype: "F32", shape: [...t.shape], data });
      }
    }
    return { kind: this.kind, hyper: this.hyperParameters(), steps: [...this.steps], tensors };
  }

  /**
   * Restores a state from {@link stateDict}; the optimizer then continues exactly as the
   * saved one would have. Everything is checked before anything changes.
   */
  loadStateDict(saved: OptimizerState): void {
    if (saved.kind !== this.kind) {
      throw new OptimizerConfigError(
        `cannot load a "${saved.kind}" optimizer state into a "${this.kind}" optimizer`,
      );
    }
    if (saved.steps.length !== this.params.length) {
      throw new OptimizerConfigError(
        `state is for ${saved.steps.length} parameters, this optimizer has ${this.params.length}`,
      );
    }
    const incoming = this.params.map(() => new Map<string, HostTensor>());
    for (const [key, host] of saved.tensors) {
      const dot = key.indexOf(".");
      const index = Number(key.slice(0, dot));
      const p = this.params[index];
      if (dot < 0 || !Number.isInteger(index) || !p) {
        throw new OptimizerConfigError(`state key "${key}" names no parameter`);
      }
      if (host.shape.join() !== p.shape.join()) {
        throw new OptimizerConfigError(
          `state "${key}" has shape [${host.shape}], parameter ${index} is [${p.shape}]`,
        );
      }
      incoming[index].set(key.slice(dot + 1), host);
    }
    this.setHyperParameters(saved.hyper);
    saved.steps.forEach((s, i) => (this.steps[i] = s));
    incoming.forEach((slots, i) => {
      for (const t of this.state[i].values()) t.dispose();
      this.state[i].clear();
      for (const [name, host] of slots) {
        const t = Tensor.from(hostTensorToFloat32(host), host.shape).keep();
        this.state[i].set(name, t);
      }
    });
  }

  /** Frees the state tensors (not the parameters). */
  dispose(): void {
    for (const slots of this.state) {
      for (const t of slots.values()) t.dispose();
      slots.clear();
    }
  }
}

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new OptimizerConfigError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** Throws unless `value` lies in [0, 1). */
export function checkUnitInterval(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value < 1)) {
    throw new OptimizerConfigError(`${name} must be in [0, 1), got ${value}`);
  }
  return value;
}
