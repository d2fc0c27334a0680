/**
 * Containers: `Sequential` chains modules; `ModuleList` holds modules for a parent's own
 * `forward`. Children are named "0", "1", … as in PyTorch.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import { type AnyModule, Module } from "./module.ts";

/** A module that maps one tensor to one tensor. */
export type TensorModule = Module<[Tensor], Tensor>;

/**
 * Applies its modules in order, each to the previous output. Intermediate outputs are
 * released as soon as the next module has used them.
 *
 * @example
 * ```ts
 * import { Sequential } from "./containers.ts";
 * import { Linear } from "./linear.ts";
 * import { ReLU } from "./activation.ts";
 * const mlp = new Sequential(
 *   new Linear({ inFeatures: 4, outFeatures: 8 }),
 *   new ReLU(),
 *   new Linear({ inFeatures: 8, outFeatures: 2 }),
 * );
 * ```
 */
export class Sequential extends Module {
  readonly #layers: TensorModule[];

  /** Chains `layers`, registered as children "0", "1", …. */
  constructor(...layers: TensorModule[]) {
    super();
    this.#layers = layers.map((m, i) => this.registerModule(String(i), m));
  }

  /** Number of modules. */
  get length(): number {
    return this.#layers.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): TensorModule | undefined {
    return this.#layers.at(index);
  }

  /** Runs the chain. */
  forward(x: Tensor): Tensor {
    let current = x;
    for (const layer of this.#layers) {
      const next = layer.forward(current);
      if (current !== x && next !== current) current.dispose();
      current = next;
    }
    return current;
  }
}

/**
 * An indexed list of child modules, registered as "0", "1", …; it has no `forward` of its
 * own (calling it throws).
 */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<[], never> {
  readonly #items: M[] = [];

  /** Holds `modules` in order. */
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end; returns it. */
  append(module: M): M {
    this.#items.push(this.registerModule(String(this.#items.length), module));
    return module;
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M | undefined {
    return this.#items.at(index);
  }

  /** Iterates the modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  /** A list has no forward of its own. */
  forward(): never {
    throw new TypeError("ModuleList has no forward(): iterate it in the parent's forward");
  }
}
