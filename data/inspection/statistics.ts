/**
 * Small descriptive statistics over plain number arrays, matching NumPy's defaults
 * (population standard deviation, linearly interpolated percentiles).
 *
 * @module
 */

/** Summary of a set of intensities. */
export interface IntensityStatistics {
  /** How many values were summarised (0 gives all-zero statistics). */
  count: number;
  /** Arithmetic mean. */
  mean: number;
  /** Population standard deviation (NumPy's default, ddof 0). */
  std: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** 0.5th percentile (nnU-Net's lower clipping bound for CT). */
  percentile00_5: number;
  /** 99.5th percentile (nnU-Net's upper clipping bound for CT). */
  percentile99_5: number;
}

/**
 * Percentile `q` (0–100) of values sorted ascending, interpolated linearly between closest
 * ranks as `numpy.percentile` does by default.
 *
 * @example
 * ```ts
 * import { percentileOfSorted } from "./statistics.ts";
 * console.assert(percentileOfSorted(Float64Array.of(1, 2, 3, 4), 50) === 2.5);
 * ```
 */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const position = (q / 100) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below] + (sorted[above] - sorted[below]) * fraction;
}

/** Median of numbers (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  return percentileOfSorted(Float64Array.from(values).sort(), 50);
}

/** Summarises values; sorts a float64 copy for the percentiles. */
export function intensityStatistics(values: ArrayLike<number>): IntensityStatistics {
  const count = values.length;
  if (count === 0) {
    return { count, mean: 0, std: 0, min: 0, max: 0, percentile00_5: 0, percentile99_5: 0 };
  }
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let n = 0; n < count; n++) sum += sorted[n];
  const mean = sum / count;
  let squares = 0;
  for (let n = 0; n < count; n++) squares += (sorted[n] - mean) ** 2;
  return {
    count,
    mean,
    std: Math.sqrt(squares / count),
    min: sorted[0],
    max: sorted[count - 1],
    percentile00_5: percentileOfSorted(sorted, 0.5),
    percentile99_5: percentileOfSorted(sorted, 99.5),
  };
}
