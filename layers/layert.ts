/**
 * Deferred layer configuration (the paper's `LayerT`): a layer kind with default arguments,
 * some of them {@link Placeholder}s that name a value supplied only when a block assembles
 * the layer (typically its channel count). One placeholder may fill several arguments,
 * each through its own derivation, e.g. GroupNorm's `numChannels` and `numGroups` both
 * from `channels`.
 *
 * LayerTs are immutable: `update` returns a changed copy.
 *
 * @module
 */

import type { AnyModule } from "./module.ts";

/** Thrown for unknown layer kinds or arguments and for unfilled placeholders. */
export class LayerConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LayerConfigError";
  }
}

/** How a placeholder appears in JSON configurations. */
export interface PlaceholderJSON {
  /** The name of the value the placeholder stands for. */
  $placeholder: string;
  /** Divide the value by this (the result must be an integer), e.g. channels → groups. */
  divideBy?: number;
}

/**
 * A value supplied at assembly, by name, optionally transformed.
 *
 * @example
 * ```ts
 * import { placeholder } from "./layert.ts";
 * const channels = placeholder("channels");
 * const groups = placeholder("channels", (c: number) => c / 8);
 * groups.resolve({ channels: 32 }); // 4
 * ```
 */
export class Placeholder<T = unknown> {
  /** The name of the value it stands for. */
  readonly name: string;
  readonly #derive?: (value: unknown) => T;
  readonly #json?: PlaceholderJSON;

  /** Prefer {@link placeholder}. */
  constructor(name: string, derive?: (value: unknown) => T, json?: PlaceholderJSON) {
    if (!name) throw new LayerConfigError("a placeholder needs a name");
    this.name = name;
    this.#derive = derive;
    this.#json = derive ? json : { $placeholder: name };
    Object.freeze(this);
  }

  /** The value for this placeholder among `values`; throws naming it when absent. */
  resolve(values: Readonly<Record<string, unknown>>, argument = ""): T {
    if (!Object.hasOwn(values, this.name) || values[this.name] === undefined) {
      const where = argument ? ` (argument "${argument}")` : "";
      throw new LayerConfigError(
        `placeholder "${this.name}"${where} was not supplied; given: ${
          Object.keys(values).join(", ") || "nothing"
        }`,
      );
    }
    const value = values[this.name];
    return this.#derive ? this.#derive(value) : value as T;
  }

  /** The JSON form; placeholders with arbitrary functions have none and throw. */
  toJSON(): PlaceholderJSON {
    if (!this.#json) {
      throw new LayerConfigError(
        `placeholder "${this.name}" has a custom derivation and cannot be written as JSON`,
      );
    }
    return { ...this.#json };
  }
}

/**
 * A placeholder for the value named `name`, optionally transformed by `derive` (the same
 * name may appear in several arguments with different derivations).
 */
export function placeholder<T = unknown, R = T>(
  name: string,
  derive?: (value: T) => R,
): Placeholder<R> {
  return new Placeholder<R>(name, derive as ((value: unknown) => R) | undefined);
}

/** Whether `value` is the JSON form of a placeholder. */
export function isPlaceholderJSON(value: unknown): value is PlaceholderJSON {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    typeof (value as Record<string, unknown>).$placeholder === "string";
}

/** Builds a placeholder from its JSON form (validating `divideBy`). */
export function placeholderFromJSON(json: PlaceholderJSON): Placeholder {
  const extra = Object.keys(json).filter((k) => k !== "$placeholder" && k !== "divideBy");
  if (extra.length) {
    throw new LayerConfigError(
      `placeholder "${json.$placeholder}" has unknown fields ${extra.join(", ")}; ` +
        "valid: $placeholder, divideBy",
    );
  }
  const divisor = json.divideBy;
  if (divisor === undefined) return new Placeholder(json.$placeholder);
  if (typeof divisor !== "number" || !Number.isInteger(divisor) || divisor < 1) {
    throw new LayerConfigError(`divideBy must be a positive integer, got ${divisor}`);
  }
  return new Placeholder(json.$placeholder, (value: unknown) => {
    const q = (value as number) / divisor;
    if (!Number.isInteger(q)) {
      throw new LayerConfigError(
        `placeholder "${json.$placeholder}": ${value} is not divisible by ${divisor}`,
      );
    }
    return q;
  }, { $placeholder: json.$placeholder, divideBy: divisor });
}

/** Arguments where any value may instead be a placeholder. */
export type Deferred<T> = { readonly [K in keyof T]?: T[K] | Placeholder<T[K]> };

/** Builds a module from fully resolved arguments. */
export type LayerFactory<M extends AnyModule = AnyModule> = (
  args: Record<string, unknown>,
) => M;

/** The JSON form of a LayerT. */
export interface LayerTJSON {
  /** A registered layer kind, e.g. `"GroupNorm"`. */
  kind: string;
  /** Arguments; placeholders as `{ "$placeholder": "channels" }`. */
  args?: Record<string, unknown>;
}

/**
 * A deferred layer: kind, factory and default arguments.
 *
 * @example
 * ```ts
 * import { LayerT, placeholder } from "./layert.ts";
 * import { GroupNorm } from "./normalization.ts";
 * const norm = new LayerT("GroupNorm", (a) => new GroupNorm(a as never), {
 *   numGroups: placeholder("channels", (c: number) => c / 4),
 *   numChannels: placeholder("channels"),
 * });
 * const layer = norm.assemble({ channels: 16 }); // GroupNorm(4 groups, 16 channels)
 * ```
 */
export class LayerT<M extends AnyModule = AnyModule> {
  /** The kind's name (a registry key for JSON-built LayerTs). */
  readonly kind: string;
  /** Default arguments (frozen); values may be placeholders. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly #factory: LayerFactory<M>;
  readonly #validArgs?: readonly string[];

  /**
   * Creates a LayerT; when `validArgs` is given, argument names outside it are rejected
   * with a list of the valid ones.
   */
  constructor(
    kind: string,
    factory: LayerFactory<M>,
    args: Readonly<Record<string, unknown>> = {},
    validArgs?: readonly string[],
  ) {
    this.kind = kind;
    this.#factory = factory;
    this.#validArgs = validArgs ? Object.freeze([...validArgs]) : undefined;
    this.#checkNames(args);
    this.args = Object.freeze({ ...args });
    Object.freeze(this);
  }

  #checkNames(args: Readonly<Record<string, unknown>>): void {
    if (!this.#validArgs) return;
    const unknown = Object.keys(args).filter((k) => !this.#validArgs!.includes(k));
    if (unknown.length) {
      throw new LayerConfigError(
        `${this.kind} has no argument${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; ` +
          `valid: ${this.#validArgs.join(", ")}`,
      );
    }
  }

  /** A copy with `args` merged over the defaults (`undefined` removes an argument). */
  update(args: Readonly<Record<string, unknown>>): LayerT<M> {
    const merged: Record<string, unknown> = { ...this.args, ...args };
    for (const [k, v] of Object.entries(args)) if (v === undefined) delete merged[k];
    return new LayerT(this.kind, this.#factory, merged, this.#validArgs);
  }

  /** Names of the values this LayerT needs at assembly. */
  placeholders(): string[] {
    const names = Object.values(this.args)
      .filter((v): v is Placeholder => v instanceof Placeholder)
      .map((p) => p.name);
    return [...new Set(names)];
  }

  /** The arguments with every placeholder filled from `values`. */
  resolve(values: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.args)) {
      out[k] = v instanceof Placeholder ? v.resolve(values, k) : v;
    }
    return out;
  }

  /** Builds the module, filling placeholders from `values` (extra values are ignored). */
  assemble(values: Readonly<Record<string, unknown>> = {}): M {
    return this.#factory(this.resolve(values));
  }

  /** The JSON form `{ kind, args }`. */
  toJSON(): LayerTJSON {
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.args)) {
      args[k] = v instanceof Placeholder ? v.toJSON() : v;
    }
    return { kind: this.kind, args };
  }
}
