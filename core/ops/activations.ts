/**
 * Activations with gradients beyond the basic unary ops (ReLU, sigmoid and tanh live in
 * `unary.ts`): LeakyReLU, PReLU (learned slope per channel), ELU, GELU (exact or tanh)
 * and erf. Forward and backward are one fused elementwise kernel each; the backward reads
 * the saved input.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import type { Tensor } from "../tensor.ts";
import { literal } from "../../shaders/wgsl.ts";
import { ACTIVATIONS_WGSL } from "../../shaders/activations.ts";
import { broadcastView, runElementwise } from "./run_kernel.ts";
import { sumTo } from "./reduce.ts";

/** Raised for activation arguments that cannot be used (weight shapes, unknown modes). */
export class ActivationArgumentError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ActivationArgumentError";
  }
}

function requireF32(op: string, x: Tensor): void {
  if (x.dtype !== "f32") throw new TypeError(`${op} needs an f32 tensor, got ${x.dtype}`);
}

/**
 * A differentiable elementwise activation: `forward` and `derivative` are WGSL over `x`
 * (the input); the backward multiplies the incoming gradient by the derivative.
 */
function activation(op: string, x: Tensor, forward: string, derivative: string): Tensor {
  requireF32(op, x);
  const sub = (e: string) => e.replace(/\bx\b/g, "v0");
  const prelude = ACTIVATIONS_WGSL;
  const y = runElementwise(x.shape, "f32", [broadcastView(x, x.shape)], sub(forward), {
    prelude,
  });
  return recordOp(y, op, [x], (g) => [
    runElementwise(
      g.shape,
      "f32",
      [broadcastView(x, g.shape), broadcastView(g, g.shape)],
      `v1 * (${sub(derivative)})`,
      { prelude },
    ),
  ], [x]);
}

/**
 * LeakyReLU: x for x > 0, `negativeSlope`·x otherwise.
 *
 * @example
 * ```ts
 * import { leakyRelu } from "./activations.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = leakyRelu(Tensor.from([-2, 3]), 0.1); // [-0.2, 3]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const s = literal(negativeSlope, "f32");
  return activation("leakyRelu", x, `select(x * ${s}, x, x > 0.0)`, `select(${s}, 1.0, x > 0.0)`);
}

/** ELU: x for x > 0, α·(eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  const a = literal(alpha, "f32");
  return activation(
    "elu",
    x,
    `select(${a} * (exp(min(x, 0.0)) - 1.0), x, x > 0.0)`,
    `select(${a} * exp(min(x, 0.0)), 1.0, x > 0.0)`,
  );
}

/** Options of {@link gelu}. */
export interface GeluOptions {
  /** `"none"`: x·Φ(x) with an accurate erf; `"tanh"`: the tanh approximation. */
  approximate?: "none" | "tanh";
}

/**
 * GELU, x·Φ(x) (Φ the standard normal CDF), exact by default or with the tanh
 * approximation, as `torch.nn.functional.gelu`.
 *
 * @example
 * ```ts
 * import { gelu } from "./activations.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = gelu(Tensor.from([-1, 0, 1]), { approximate: "tanh" });
 * ```
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const mode = options.approximate ?? "none";
  if (mode === "tanh") return activation("gelu", x, "gelu_tanh(x)", "gelu_tanh_grad(x)");
  if (mode === "none") return activation("gelu", x, "gelu_exact(x)", "gelu_exact_grad(x)");
  throw new ActivationArgumentError(`gelu: approximate must be "none" or "tanh", got "${mode}"`);
}

/** The error function erf(x) (|error| < 10⁻⁶), with gradient 2/√π·e^(−x²). */
export function erf(x: Tensor): Tensor {
  return activation("erf", x, "erf_f32(x)", "1.1283791670955126 * exp(-x * x)");
}

/**
 * PReLU: x for x > 0, w·x otherwise, with a learned slope `weight` per channel (C, the
 * last axis of channels-last `x`) or one shared slope (1). Gradients flow to both.
 *
 * @example
 * ```ts
 * import { prelu } from "./activations.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = prelu(Tensor.from([-1, -1, 2, 2], [2, 2]), Tensor.from([0.25, 0.5]));
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  requireF32("prelu", x);
  requireF32("prelu", weight);
  const channels = x.rank ? x.shape[x.rank - 1] : 1;
  if (weight.rank !== 1 || (weight.size !== 1 && weight.size !== channels)) {
    throw new ActivationArgumentError(
      `prelu: weight of shape [${weight.shape}] must be [1] or [${channels}] for input [${x.shape}]`,
    );
  }
  const views = [broadcastView(x, x.shape), broadcastView(weight, x.shape)];
  const y = runElementwise(x.shape, "f32", views, "select(v1 * v0, v0, v0 > 0.0)");
  return recordOp(y, "prelu", [x, weight], (g) => {
    const withGrad = [...views, broadcastView(g, g.shape)];
    const gx = x.requiresGrad
      ? runElementwise(g.shape, "f32", withGrad, "select(v1 * v2, v2, v0 > 0.0)")
      : undefined;
    let gw: Tensor | undefined;
    if (weight.requiresGrad) {
      const full = runElementwise(g.shape, "f32", withGrad, "select(v0 * v2, 0.0, v0 > 0.0)");
      gw = sumTo(full, weight.shape);
      if (gw !== full) full.dispose();
    }
    return [gx, gw];
  }, [x, weight]);
}
