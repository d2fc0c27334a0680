/**
 * A small seeded pseudo-random generator (SplitMix32-style mixing of a Weyl sequence), so
 * that splits and intensity sampling are identical on every machine and run.
 *
 * @module
 */

/** A function returning uniform floats in [0, 1), deterministic for a given seed. */
export type RandomSource = () => number;

/**
 * Creates a deterministic uniform generator from an integer seed.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./seeded_random.ts";
 * const a = seededRandom(42), b = seededRandom(42);
 * console.assert(a() === b());
 * ```
 */
export function seededRandom(seed: number): RandomSource {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

/** Shuffles `items` in place (Fisher–Yates) with `random`, and returns it. */
export function shuffleInPlace<T>(items: T[], random: RandomSource): T[] {
  for (let n = items.length - 1; n > 0; n--) {
    const m = Math.floor(random() * (n + 1));
    [items[n], items[m]] = [items[m], items[n]];
  }
  return items;
}
