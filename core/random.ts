/**
 * Seeded random tensors generated on the GPU. A generator is a seed plus a counter of
 * values drawn; its state is two numbers, saved in checkpoints to resume a run exactly.
 *
 * @module
 */

import type { Tensor } from "./tensor.ts";
import { literal } from "../shaders/wgsl.ts";
import { pcgMix, RANDOM_WGSL } from "../shaders/random.ts";
import { runElementwise } from "./ops/run_kernel.ts";

/** Serializable state of a {@link RandomGenerator}. */
export interface RandomState {
  /** The seed (a 32-bit unsigned integer). */
  seed: number;
  /** How many counters were consumed. */
  offset: number;
}

const COUNTER_SPAN = 2 ** 32;

/** A seeded stream of random tensors. */
export class RandomGenerator {
  #seed: number;
  #offset = 0;

  /** Creates a generator from a seed. */
  constructor(seed = 0) {
    this.#seed = seed >>> 0;
  }

  /** Current state (for checkpoints). */
  state(): RandomState {
    return { seed: this.#seed, offset: this.#offset };
  }

  /** Restores a state from {@link state}. */
  setState(state: RandomState): void {
    this.#seed = state.seed >>> 0;
    this.#offset = state.offset;
  }

  /** Reserves `count` counters: returns the kernel key and first counter. */
  take(count: number): { key: number; counter: number } {
    if (count > COUNTER_SPAN) throw new RangeError("too many random values in one draw");
    let low = this.#offset % COUNTER_SPAN;
    if (low + count > COUNTER_SPAN) {
      // never wrap within one draw: move to the next block of counters
      this.#offset += COUNTER_SPAN - low;
      low = 0;
    }
    const block = Math.floor(this.#offset / COUNTER_SPAN);
    const key = pcgMix((this.#seed ^ pcgMix((block + 0x9e3779b9) >>> 0)) >>> 0);
    this.#offset += count;
    return { key, counter: low };
  }

  /** Uniform values in `[low, high)`. */
  uniform(shape: readonly number[], low = 0, high = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const { key, counter } = this.take(n);
    const f = (v: number) => literal(v, "f32");
    return runElementwise(
      shape,
      "f32",
      [],
      `${f(low)} + (${f(high)} - ${f(low)}) * rng_uniform(${key}u, ${counter}u + idx)`,
      { prelude: RANDOM_WGSL },
    );
  }

  /** Normal values with the given mean and standard deviation (Box–Muller). */
  normal(shape: readonly number[], mean = 0, std = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const { key, counter } = this.take(2 * n);
    const f = (v: number) => literal(v, "f32");
    return runElementwise(
      shape,
      "f32",
      [],
      `${f(mean)} + ${f(std)} * rng_normal(${key}u, ${counter}u + 2u * idx)`,
      { prelude: RANDOM_WGSL },
    );
  }
}

let global = new RandomGenerator(0);

/** The process-wide generator used when none is passed. */
export function globalGenerator(): RandomGenerator {
  return global;
}

/** Reseeds the process-wide generator. */
export function manualSeed(seed: number): void {
  global = new RandomGenerator(seed);
}

/**
 * Uniform random tensor in `[low, high)` from the global (or a given) generator.
 *
 * @example
 * ```ts
 * import { manualSeed, randUniform } from "./random.ts";
 * import { getGpu } from "./device.ts";
 * await getGpu();
 * manualSeed(42);
 * const noise = randUniform([4, 4]);
 * ```
 */
export function randUniform(
  shape: readonly number[],
  low = 0,
  high = 1,
  generator: RandomGenerator = global,
): Tensor {
  return generator.uniform(shape, low, high);
}

/** Normal random tensor from the global (or a given) generator. */
export function randNormal(
  shape: readonly number[],
  mean = 0,
  std = 1,
  generator: RandomGenerator = global,
): Tensor {
  return generator.normal(shape, mean, std);
}
