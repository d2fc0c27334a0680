/**
 * Tensor constructors that fill on the GPU: zeros, ones, full, arange.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";
import { literal } from "../../shaders/wgsl.ts";
import type { DType } from "../../shaders/wgsl.ts";
import { runElementwise } from "./run_kernel.ts";

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = "f32"): Tensor {
  return runElementwise(shape, dtype, [], literal(value, dtype), { vectorizable: true });
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * import { zeros } from "./creation.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const t = zeros([2, 3]);
 * ```
 */
export function zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
  return full(shape, 0, dtype);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], dtype: DType = "f32"): Tensor {
  return full(shape, 1, dtype);
}

/** Zeros shaped like `t`. */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

/** Ones shaped like `t`. */
export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, t.dtype);
}

/** `start, start + step, …` below `stop` (like `numpy.arange`). */
export function arange(start: number, stop?: number, step = 1, dtype: DType = "f32"): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new RangeError("arange step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const index = dtype === "f32" ? "f32(idx)" : `${dtype}(idx)`;
  return runElementwise(
    [n],
    dtype,
    [],
    `${literal(start, dtype)} + ${index} * ${literal(step, dtype)}`,
  );
}
