/**
 * Binary elementwise arithmetic with NumPy broadcasting and gradients. A plain number as
 * an operand is baked into the kernel as a literal (no buffer, no broadcast).
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { Tensor } from "../tensor.ts";
import { literal } from "../../shaders/wgsl.ts";
import type { DType } from "../../shaders/wgsl.ts";
import { broadcastShapes, broadcastView, runElementwise, type TensorView } from "./run_kernel.ts";
import { sumTo } from "./reduce.ts";

/** A tensor or a plain number. */
export type Operand = Tensor | number;

/**
 * Records `expression(a, b)` elementwise: each operand becomes `v0`/`v1` or a literal.
 * Exported for the other elementwise op modules.
 */
export function binaryKernel(
  a: Operand,
  b: Operand,
  expression: (x: string, y: string) => string,
  outDtype?: DType,
  vectorizable = false,
): Tensor {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : "f32";
  const shape = broadcastShapes(
    a instanceof Tensor ? a.shape : [],
    b instanceof Tensor ? b.shape : [],
  );
  const views: TensorView[] = [];
  const term = (x: Operand) => {
    if (!(x instanceof Tensor)) return literal(x, dtype);
    if (x.dtype !== dtype) {
      throw new TypeError(`dtype mismatch: ${x.dtype} vs ${dtype} (use cast())`);
    }
    views.push(broadcastView(x, shape));
    return `v${views.length - 1}`;
  };
  const ta = term(a);
  const tb = term(b);
  return runElementwise(shape, outDtype ?? dtype, views, expression(ta, tb), { vectorizable });
}

function tensors(...xs: Operand[]): Tensor[] {
  return xs.filter((x): x is Tensor => x instanceof Tensor);
}

/** Sums a gradient back to an operand's shape (undefined for numbers). */
function gradFor(x: Operand, g: Tensor, make: () => Tensor): Tensor | undefined {
  if (!(x instanceof Tensor) || !x.requiresGrad) return undefined;
  const full = make();
  const reduced = sumTo(full, x.shape);
  if (reduced !== full && full !== g) full.dispose();
  return reduced;
}

function gradsOf(
  a: Operand,
  b: Operand,
  g: Tensor,
  ga: () => Tensor,
  gb: () => Tensor,
): Array<Tensor | undefined> {
  const out: Array<Tensor | undefined> = [];
  if (a instanceof Tensor) out.push(gradFor(a, g, ga));
  if (b instanceof Tensor) out.push(gradFor(b, g, gb));
  return out;
}

/**
 * a + b with broadcasting.
 *
 * @example
 * ```ts
 * import { add } from "./binary.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const y = add(Tensor.from([1, 2, 3]), 1); // [2, 3, 4]
 * ```
 */
export function add(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, (x, y) => `${x} + ${y}`, undefined, true);
  return recordOp(out, "add", tensors(a, b), (g) => gradsOf(a, b, g, () => g, () => g));
}

/** a − b with broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, (x, y) => `${x} - ${y}`, undefined, true);
  return recordOp(out, "sub", tensors(a, b), (g) => gradsOf(a, b, g, () => g, () => neg(g)));
}

/** a · b with broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, (x, y) => `${x} * ${y}`, undefined, true);
  return recordOp(
    out,
    "mul",
    tensors(a, b),
    (g) => gradsOf(a, b, g, () => mul(g, b), () => mul(g, a)),
    tensors(a, b),
  );
}

/** a / b with broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, (x, y) => `${x} / ${y}`, undefined, true);
  return recordOp(out, "div", tensors(a, b), (g) =>
    gradsOf(a, b, g, () => div(g, b), () => {
      // d(a/b)/db = -a / b²
      const q = binaryKernel(a, b, (x, y) => `-${x} / (${y} * ${y})`);
      const r = mul(g, q);
      q.dispose();
      return r;
    }), tensors(a, b));
}

/** a ^ b with broadcasting (real powers: a must be positive unless b is an integer). */
export function pow(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, powExpression);
  return recordOp(out, "pow", tensors(a, b), (g) =>
    gradsOf(a, b, g, () => {
      const d = binaryKernel(a, b, (x, y) => `${y} * ${powExpression(x, `(${y} - 1.0)`)}`);
      const r = mul(g, d);
      d.dispose();
      return r;
    }, () => {
      const d = binaryKernel(a, b, (x, y) =>
        `select(0.0, log(${x}) * ${powExpression(x, y)}, ${x} > 0.0)`);
      const r = mul(g, d);
      d.dispose();
      return r;
    }), tensors(a, b));
}

// WGSL's pow is undefined for negative bases; integer exponents get the sign by hand.
function powExpression(x: string, y: string): string {
  return `select(pow(abs(${x}), ${y}) * select(1.0, -1.0, ${x} < 0.0 && (abs(${y}) % 2.0) == 1.0), ` +
    `pow(${x}, ${y}), ${x} >= 0.0)`;
}

/** Elementwise maximum; at ties the gradient goes to `a`. */
export function maximum(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, (x, y) => `max(${x}, ${y})`);
  return recordOp(out, "maximum", tensors(a, b), (g) =>
    gradsOf(
      a,
      b,
      g,
      () => maskedGrad(g, a, b, (x, y) => `${x} >= ${y}`),
      () => maskedGrad(g, a, b, (x, y) => `${x} < ${y}`),
    ), tensors(a, b));
}

/** Elementwise minimum; at ties the gradient goes to `a`. */
export function minimum(a: Operand, b: Operand): Tensor {
  const out = binaryKernel(a, b, (x, y) => `min(${x}, ${y})`);
  return recordOp(out, "minimum", tensors(a, b), (g) =>
    gradsOf(
      a,
      b,
      g,
      () => maskedGrad(g, a, b, (x, y) => `${x} <= ${y}`),
      () => maskedGrad(g, a, b, (x, y) => `${x} > ${y}`),
    ), tensors(a, b));
}

function maskedGrad(
  g: Tensor,
  a: Operand,
  b: Operand,
  condition: (x: string, y: string) => string,
): Tensor {
  const mask = binaryKernel(a, b, (x, y) => `select(0.0, 1.0, ${condition(x, y)})`);
  const r = mul(g, mask);
  mask.dispose();
  return r;
}

/** −x. */
export function neg(x: Tensor): Tensor {
  const out = runElementwise(x.shape, x.dtype, [broadcastView(x, x.shape)], "-v0", {
    vectorizable: true,
  });
  return recordOp(out, "neg", [x], (g) => [neg(g)]);
}

/** A copy of `x` in new storage (gradient passes through). */
export function copyOf(x: Tensor): Tensor {
  const out = runElementwise(x.shape, x.dtype, [broadcastView(x, x.shape)], "v0", {
    vectorizable: true,
  });
  return recordOp(out, "copy", [x], (g) => [copyOf(g)]);
}
