/**
 * `Module`: the base of every layer and network. A module owns named parameters and
 * buffers and registered child modules, forming a tree whose dotted names match PyTorch's
 * (`encoder.stages.0.convs.0.conv.weight`), so state dicts carry over between the two.
 *
 * Each entry may keep an internal layout that differs from PyTorch's (convolution weights
 * are channels-last here); a {@link TorchLayout} converts on save and load.
 *
 * @module
 */

import { Tensor } from "../core/tensor.ts";
import { noGrad } from "../core/autograd.ts";
import { assign } from "../core/ops/assign.ts";
import type { HostTensor, SafetensorsDType } from "../core/serialize/host_tensor.ts";
import { hostTensorToFloat32 } from "../core/serialize/host_tensor.ts";

/**
 * Converts one entry between its internal layout and PyTorch's, on the GPU (for example
 * with `weightToTorchLayout` / `weightFromTorchLayout` of `core/ops/conv3d.ts`).
 */
export interface TorchLayout {
  /** The entry's shape in PyTorch files. */
  readonly torchShape: readonly number[];
  /** A new tensor in PyTorch's layout from the internal one. */
  toTorch(internal: Tensor): Tensor;
  /** A new tensor in the internal layout from one in PyTorch's layout. */
  fromTorch(torch: Tensor): Tensor;
}

/** One entry of a state dict as a module sees it: how to save and load it. */
export interface StateEntry {
  /** Shape in the saved (PyTorch) layout. */
  readonly shape: readonly number[];
  /** Dtype in the saved file. */
  readonly dtype: SafetensorsDType;
  /** Reads the entry (GPU entries take a round trip; reads of several entries overlap). */
  save(): Promise<HostTensor>;
  /** Overwrites the entry from a host tensor of `shape` (converted from any float dtype). */
  load(value: HostTensor): void;
}

/** A key whose saved shape differs from the module's. */
export interface MismatchedKey {
  /** The dotted name. */
  key: string;
  /** Shape the module expects. */
  expected: number[];
  /** Shape found in the dict. */
  got: number[];
}

/** What `loadStateDict` found. */
export interface LoadStateReport {
  /** Keys the module has but the dict lacks (left unchanged). */
  missing: string[];
  /** Keys in the dict the module does not have (ignored). */
  unexpected: string[];
  /** Keys present in both with different shapes (not loaded). */
  mismatched: MismatchedKey[];
}

/** Thrown by a strict `loadStateDict` when keys are missing, unexpected or mis-shaped. */
export class StateDictError extends Error {
  /** The full report. */
  readonly report: LoadStateReport;

  /** Creates the error from a report. */
  constructor(report: LoadStateReport) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing keys: ${report.missing.join(", ")}`);
    if (report.unexpected.length) parts.push(`unexpected keys: ${report.unexpected.join(", ")}`);
    if (report.mismatched.length) {
      parts.push(
        "mis-shaped keys: " +
          report.mismatched.map((m) => `${m.key} (file [${m.got}], model [${m.expected}])`)
            .join(", "),
      );
    }
    super(
      `state dict does not match the module: ${parts.join("; ")}. ` +
        "Pass { strict: false } to load the matching keys only.",
    );
    this.name = "StateDictError";
    this.report = report;
  }
}

/** Thrown when a name is registered twice or is not a valid attribute-like name. */
export class ModuleRegistrationError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ModuleRegistrationError";
  }
}

/** A module of any signature, as stored in a tree. */
export type AnyModule = Module<readonly never[], unknown>;

interface TensorSlot {
  tensor: Tensor;
  layout?: TorchLayout;
  persistent: boolean;
}

/**
 * The base of layers and networks. Subclasses register parameters, buffers and children
 * in their constructor and implement `forward`.
 *
 * @example
 * ```ts
 * import { Module } from "./module.ts";
 * import { add, matmul, Tensor, zeros } from "../core/mod.ts";
 * import { getGpu } from "../core/device.ts";
 * await getGpu();
 * class Affine extends Module {
 *   readonly weight = this.registerParameter("weight", zeros([3, 2]));
 *   readonly bias = this.registerParameter("bias", zeros([2]));
 *   forward(x: Tensor): Tensor {
 *     return add(matmul(x, this.weight), this.bias);
 *   }
 * }
 * const layer = new Affine();
 * [...layer.namedParameters().keys()]; // ["weight", "bias"]
 * ```
 */
export abstract class Module<Inputs extends readonly unknown[] = [Tensor], Output = Tensor> {
  #training = true;
  #parameters = new Map<string, TensorSlot>();
  #buffers = new Map<string, TensorSlot>();
  #extra = new Map<string, StateEntry>();
  #children = new Map<string, AnyModule>();

  /** Computes the module's output. */
  abstract forward(...inputs: Inputs): Output;

  /** True in training mode (dropout active, batch statistics used). */
  get training(): boolean {
    return this.#training;
  }

  #checkName(name: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      throw new ModuleRegistrationError(
        `invalid name "${name}": use letters, digits and underscores (dots separate levels)`,
      );
    }
    if (
      this.#parameters.has(name) || this.#buffers.has(name) || this.#children.has(name) ||
      this.#extra.has(name)
    ) {
      throw new ModuleRegistrationError(`"${name}" is already registered on this module`);
    }
  }

  /**
   * Registers a trainable parameter (marked `requiresGrad` and kept alive across scopes)
   * and returns it. `layout` converts to PyTorch's layout on save and load.
   */
  protected registerParameter(name: string, tensor: Tensor, layout?: TorchLayout): Tensor {
    this.#checkName(name);
    if (tensor.dtype !== "f32") {
      throw new ModuleRegistrationError(`parameter "${name}" must be f32, got ${tensor.dtype}`);
    }
    tensor.keep();
    tensor.requiresGrad = true;
    this.#parameters.set(name, { tensor, layout, persistent: true });
    return tensor;
  }

  /**
   * Registers a non-trainable tensor (running statistics); `persistent: false` leaves it
   * out of the state dict.
   */
  protected registerBuffer(
    name: string,
    tensor: Tensor,
    options: { persistent?: boolean; layout?: TorchLayout } = {},
  ): Tensor {
    this.#checkName(name);
    if (tensor.dtype !== "f32") {
      throw new ModuleRegistrationError(
        `buffer "${name}" must be f32, got ${tensor.dtype} (use registerExtraState)`,
      );
    }
    tensor.keep();
    this.#buffers.set(name, {
      tensor,
      layout: options.layout,
      persistent: options.persistent ?? true,
    });
    return tensor;
  }

  /** Registers a state-dict entry held outside GPU tensors (e.g. a step counter). */
  protected registerExtraState(name: string, entry: StateEntry): void {
    this.#checkName(name);
    this.#extra.set(name, entry);
  }

  /** Registers a child module under `name` and returns it. */
  protected registerModule<M extends AnyModule>(name: string, module: M): M {
    this.#checkName(name);
    this.#children.set(name, module);
    return module;
  }

  /** Direct children by name. */
  namedChildren(): Map<string, AnyModule> {
    return new Map(this.#children);
  }

  /** This module and every descendant by dotted name ("" for this one). */
  namedModules(prefix = ""): Map<string, AnyModule> {
    const out = new Map<string, AnyModule>([[prefix, this as unknown as AnyModule]]);
    for (const [name, child] of this.#children) {
      for (const [k, m] of child.namedModules(join(prefix, name))) out.set(k, m);
    }
    return out;
  }

  /** Every parameter by dotted name, depth first in registration order. */
  namedParameters(prefix = ""): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, slot] of this.#parameters) out.set(join(prefix, name), slot.tensor);
    for (const [name, child] of this.#children) {
      for (const [k, t] of child.namedParameters(join(prefix, name))) out.set(k, t);
    }
    return out;
  }

  /** Every parameter (for optimizers), each once. */
  parameters(): Tensor[] {
    return [...new Set(this.namedParameters().values())];
  }

  /** Every buffer by dotted name. */
  namedBuffers(prefix = ""): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, slot] of this.#buffers) out.set(join(prefix, name), slot.tensor);
    for (const [name, child] of this.#children) {
      for (const [k, t] of child.namedBuffers(join(prefix, name))) out.set(k, t);
    }
    return out;
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    this.#training = mode;
    for (const child of this.#children.values()) child.train(mode);
    return this;
  }

  /** Sets evaluation mode (same as `train(false)`); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Every state-dict entry by dotted name, in PyTorch's order (params, buffers, children). */
  stateEntries(prefix = ""): Map<string, StateEntry> {
    const out = new Map<string, StateEntry>();
    for (const [name, slot] of this.#parameters) out.set(join(prefix, name), tensorEntry(slot));
    for (const [name, slot] of this.#buffers) {
      if (slot.persistent) out.set(join(prefix, name), tensorEntry(slot));
    }
    for (const [name, entry] of this.#extra) out.set(join(prefix, name), entry);
    for (const [name, child] of this.#children) {
      for (const [k, e] of child.stateEntries(join(prefix, name))) out.set(k, e);
    }
    return out;
  }

  /**
   * Reads parameters and persistent buffers in PyTorch's names and layouts (the reads
   * overlap, so this costs about one GPU round trip).
   */
  async stateDict(): Promise<Map<string, HostTensor>> {
    const entries = [...this.stateEntries()];
    const values = await Promise.all(entries.map(([, e]) => e.save()));
    return new Map(entries.map(([k], i) => [k, values[i]]));
  }

  /**
   * Loads a state dict (PyTorch names and layouts; F16/BF16/F64 are converted). Strict
   * (the default) checks every key and shape first and throws {@link StateDictError}
   * without changing anything; non-strict loads the keys that fit and reports the rest.
   */
  loadStateDict(
    dict: ReadonlyMap<string, HostTensor>,
    options: { strict?: boolean } = {},
  ): LoadStateReport {
    const strict = options.strict ?? true;
    const entries = this.stateEntries();
    const report: LoadStateReport = { missing: [], unexpected: [], mismatched: [] };
    const fitting: Array<[StateEntry, HostTensor]> = [];
    for (const [key, entry] of entries) {
      const value = dict.get(key);
      if (!value) report.missing.push(key);
      else if (value.shape.join() !== entry.shape.join()) {
        report.mismatched.push({ key, expected: [...entry.shape], got: [...value.shape] });
      } else fitting.push([entry, value]);
    }
    for (const key of dict.keys()) if (!entries.has(key)) report.unexpected.push(key);
    const clean = !report.missing.length && !report.unexpected.length &&
      !report.mismatched.length;
    if (strict && !clean) throw new StateDictError(report);
    for (const [entry, value] of fitting) entry.load(value);
    return report;
  }

  /** Frees every parameter and buffer of the tree. */
  dispose(): void {
    for (const slot of [...this.#parameters.values(), ...this.#buffers.values()]) {
      slot.tensor.dispose();
    }
    for (const child of this.#children.values()) child.dispose();
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function tensorEntry(slot: TensorSlot): StateEntry {
  const { tensor, layout } = slot;
  return {
    shape: layout ? [...layout.torchShape] : [...tensor.shape],
    dtype: "F32",
    async save(): Promise<HostTensor> {
      if (!layout) {
        return {
          dtype: "F32",
          shape: [...tensor.shape],
          data: new Float32Array(await tensor.read()),
        };
      }
      const converted = noGrad(() => layout.toTorch(tensor));
      try {
        const data = new Float32Array(await converted.read());
        return { dtype: "F32", shape: [...layout.torchShape], data };
      } finally {
        converted.dispose();
      }
    },
    load(value: HostTensor): void {
      const values = hostTensorToFloat32(value);
      if (!layout) {
        tensor.write(values);
        return;
      }
      noGrad(() => {
        const torch = Tensor.from(values, layout.torchShape);
        const internal = layout.fromTorch(torch);
        assign(tensor, internal);
        torch.dispose();
        internal.dispose();
      });
    },
  };
}
