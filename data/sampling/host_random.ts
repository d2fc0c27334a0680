/**
 * Host-side draws from a {@link RandomGenerator}: each draw consumes one counter of the
 * generator's stream, so the generator's two-number state resumes host sampling exactly,
 * and the same generator can also hand counter ranges to GPU kernels.
 *
 * @module
 */

import type { RandomGenerator } from "../../core/random.ts";
import { rngU32 } from "../../shaders/random.ts";

/** A uniform number in [0, 1) (32 random bits). */
export function drawUniform(generator: RandomGenerator): number {
  const { key, counter } = generator.take(1);
  return rngU32(key, counter) / 4294967296;
}

/** A uniform number in [low, high). */
export function drawBetween(generator: RandomGenerator, low: number, high: number): number {
  return low + (high - low) * drawUniform(generator);
}

/** A uniform integer in [0, count). */
export function drawIndex(generator: RandomGenerator, count: number): number {
  return Math.min(count - 1, Math.floor(drawUniform(generator) * count));
}

/** True with probability `p`. */
export function drawChance(generator: RandomGenerator, p: number): boolean {
  return p > 0 && drawUniform(generator) < p;
}
