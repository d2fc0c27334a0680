/**
 * Dropout with the counter-based generator: element i is kept when
 * `rng_uniform(key, counter + i) ≥ p`. The key and first counter travel in a small u32
 * buffer rather than the shader text (they change every call; the pipeline must not), and
 * the backward regenerates the same mask from that buffer instead of storing it.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { globalGenerator, type RandomGenerator } from "../random.ts";
import { Tensor } from "../tensor.ts";
import { literal } from "../../shaders/wgsl.ts";
import { RANDOM_WGSL } from "../../shaders/random.ts";
import { broadcastView, runElementwise, type TensorView } from "./run_kernel.ts";
import { reshape } from "./movement.ts";

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Drop and rescale when true; identity when false. */
  training: boolean;
  /** Source of the mask (default the global generator). */
  generator?: RandomGenerator;
}

/** Records `keep ? value·scale : 0` over x's shape, the mask drawn from `params` = (key, counter). */
function masked(value: Tensor, params: Tensor, p: number): Tensor {
  const scale = literal(1 / (1 - p), "f32");
  const threshold = literal(p, "f32");
  const views: TensorView[] = [
    broadcastView(value, value.shape),
    { tensor: params, strides: value.shape.map(() => 0), offset: 0 },
    { tensor: params, strides: value.shape.map(() => 0), offset: 1 },
  ];
  return runElementwise(
    value.shape,
    "f32",
    views,
    `select(0.0, v0 * ${scale}, rng_uniform(v1, v2 + idx) >= ${threshold})`,
    { prelude: RANDOM_WGSL },
  );
}

/**
 * Dropout: in training zeroes each element with probability `p` and scales the rest by
 * 1/(1 − p); in evaluation returns `x` unchanged (a view sharing its storage). The
 * gradient uses the same mask.
 *
 * @example
 * ```ts
 * import { dropout } from "./dropout.ts";
 * import { RandomGenerator } from "../random.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = dropout(Tensor.from([1, 2, 3, 4]), 0.5, {
 *   training: true,
 *   generator: new RandomGenerator(7),
 * });
 * ```
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (x.dtype !== "f32") throw new TypeError(`dropout needs an f32 tensor, got ${x.dtype}`);
  if (!options.training || p === 0 || x.size === 0) return reshape(x, x.shape);
  if (p === 1) {
    const zero = runElementwise(x.shape, "f32", [], "0.0");
    return recordOp(zero, "dropout", [x], (g) => [runElementwise(g.shape, "f32", [], "0.0")]);
  }
  const { key, counter } = (options.generator ?? globalGenerator()).take(x.size);
  const params = Tensor.from(new Uint32Array([key, counter]), [2], "u32");
  const y = masked(x, params, p);
  recordOp(y, "dropout", [x], (g) => [masked(g, params, p)], [params]);
  // The graph keeps the key buffer alive when it saved it.
  params.dispose();
  return y;
}
