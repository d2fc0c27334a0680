/** Shared test helpers: seeded host random data and closeness assertions. */

import { getGpu, Tensor } from "../core/mod.ts";
import type { Nd } from "./reference/ndarray.ts";

/** Initialises the GPU once (tests call it first). */
export async function setupGpu(): Promise<void> {
  await getGpu();
}

/** A small seeded PRNG (mulberry32) for host-side test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random float values in [low, high) rounded to float32. */
export function randomValues(n: number, seed: number, low = -1, high = 1): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => Math.fround(low + (high - low) * r()));
}

/** A host Nd and a GPU tensor holding the same random values. */
export function randomPair(
  shape: number[],
  seed: number,
  low = -1,
  high = 1,
): { ref: Nd; gpu: Tensor } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = randomValues(n, seed, low, high);
  return { ref: { shape: [...shape], data }, gpu: Tensor.from(data, shape) };
}

/** Asserts |a − e| ≤ atol + rtol·|e| elementwise, reporting the worst element. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { rtol?: number; atol?: number; label?: string } = {},
): void {
  const { rtol = 1e-5, atol = 1e-6, label = "" } = options;
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} != expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: element ${worst}: got ${actual[worst]}, expected ${expected[worst]} ` +
        `(rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Asserts two shapes are equal. */
export function assertShape(actual: readonly number[], expected: readonly number[]): void {
  if (actual.join() !== expected.join()) {
    throw new Error(`shape [${actual}] != expected [${expected}]`);
  }
}

/**
 * Central finite-difference gradient of a float64 scalar function of several inputs,
 * used as the reference gradient (exact up to O(h²) in float64).
 */
export function numericGradients(
  inputs: Nd[],
  loss: (inputs: Nd[]) => number,
  h = 1e-6,
): Float64Array[] {
  return inputs.map((x) => {
    const g = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const keep = x.data[i];
      x.data[i] = keep + h;
      const up = loss(inputs);
      x.data[i] = keep - h;
      const down = loss(inputs);
      x.data[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}
