/**
 * Unary elementwise math with gradients. Each backward is one fused kernel reading the
 * incoming gradient (`g`) and the saved input (`x`) or output (`y`).
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import type { Tensor } from "../tensor.ts";
import { literal } from "../../shaders/wgsl.ts";
import type { DType } from "../../shaders/wgsl.ts";
import { broadcastView, runElementwise } from "./run_kernel.ts";

/** Runs `expression` (WGSL over `x`) elementwise. */
function map(x: Tensor, expression: string, dtype: DType = x.dtype): Tensor {
  return runElementwise(x.shape, dtype, [broadcastView(x, x.shape)], `${wrap(expression)}`);
}

function wrap(expression: string): string {
  return expression.replace(/\bx\b/g, "v0");
}

/** One fused backward kernel: `expression` over `g` (incoming gradient) and `s` (saved). */
function gradKernel(g: Tensor, saved: Tensor, expression: string): Tensor {
  return runElementwise(
    g.shape,
    g.dtype,
    [broadcastView(g, g.shape), broadcastView(saved, g.shape)],
    expression.replace(/\bg\b/g, "v0").replace(/\bs\b/g, "v1"),
  );
}

/**
 * Defines a differentiable unary op. `forward` and `backward` are WGSL with `x` (input),
 * and `g`, `s` (gradient, saved tensor: the output when `saveOutput`, else the input).
 * The names are substituted as whole words.
 */
function unaryOp(
  name: string,
  x: Tensor,
  forward: string,
  backward: string,
  saveOutput: boolean,
): Tensor {
  if (x.dtype !== "f32") throw new TypeError(`${name} needs an f32 tensor, got ${x.dtype}`);
  const y = map(x, forward);
  const saved = saveOutput ? y : x;
  return recordOp(y, name, [x], (g) => [gradKernel(g, saved, backward)], [saved]);
}

/**
 * eˣ.
 *
 * @example
 * ```ts
 * import { exp } from "./unary.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = exp(Tensor.from([0, 1])); // [1, 2.718…]
 * ```
 */
export function exp(x: Tensor): Tensor {
  return unaryOp("exp", x, "exp(x)", "g * s", true);
}

/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return unaryOp("log", x, "log(x)", "g / s", false);
}

/** Square root. */
export function sqrt(x: Tensor): Tensor {
  return unaryOp("sqrt", x, "sqrt(x)", "g * 0.5 / s", true);
}

/** |x| (gradient 0 at 0). */
export function abs(x: Tensor): Tensor {
  return unaryOp("abs", x, "abs(x)", "g * sign(s)", false);
}

/** Logistic sigmoid 1 / (1 + e⁻ˣ). */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp("sigmoid", x, "1.0 / (1.0 + exp(-x))", "g * s * (1.0 - s)", true);
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  // tanh via exp of a non-positive argument, stable for large |x|.
  return unaryOp(
    "tanh",
    x,
    "sign(x) * (1.0 - exp(-2.0 * abs(x))) / (1.0 + exp(-2.0 * abs(x)))",
    "g * (1.0 - s * s)",
    true,
  );
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return unaryOp("relu", x, "max(x, 0.0)", "select(0.0, g, s > 0.0)", true);
}

/** Clamps into `[low, high]`; the gradient is 0 outside. */
export function clamp(x: Tensor, low = -Infinity, high = Infinity): Tensor {
  const lo = literal(low, "f32");
  const hi = literal(high, "f32");
  const y = runElementwise(
    x.shape,
    x.dtype,
    [broadcastView(x, x.shape)],
    `clamp(v0, ${lo}, ${hi})`,
  );
  return recordOp(y, "clamp", [x], (g) => [
    runElementwise(
      g.shape,
      g.dtype,
      [broadcastView(g, g.shape), broadcastView(x, g.shape)],
      `select(0.0, v0, v1 >= ${lo} && v1 <= ${hi})`,
    ),
  ], [x]);
}

/** Converts to another dtype (floats to integers truncate toward zero); no gradient. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return map(x, "x");
  return map(x, `${dtype}(x)`, dtype);
}
