/**
 * Comparisons (results are 1/0 in the operands' dtype, without gradient) and `where`.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { Tensor } from "../tensor.ts";
import { literal } from "../../shaders/wgsl.ts";
import { binaryKernel, type Operand } from "./binary.ts";
import { broadcastShapes, broadcastView, runElementwise } from "./run_kernel.ts";
import { sumTo } from "./reduce.ts";

function comparison(a: Operand, b: Operand, op: string): Tensor {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : "f32";
  return binaryKernel(
    a,
    b,
    (x, y) => `select(${literal(0, dtype)}, ${literal(1, dtype)}, ${x} ${op} ${y})`,
  );
}

/** a == b as 1/0. */
export function eq(a: Operand, b: Operand): Tensor {
  return comparison(a, b, "==");
}

/** a != b as 1/0. */
export function ne(a: Operand, b: Operand): Tensor {
  return comparison(a, b, "!=");
}

/** a < b as 1/0. */
export function lt(a: Operand, b: Operand): Tensor {
  return comparison(a, b, "<");
}

/** a <= b as 1/0. */
export function le(a: Operand, b: Operand): Tensor {
  return comparison(a, b, "<=");
}

/** a > b as 1/0. */
export function gt(a: Operand, b: Operand): Tensor {
  return comparison(a, b, ">");
}

/** a >= b as 1/0. */
export function ge(a: Operand, b: Operand): Tensor {
  return comparison(a, b, ">=");
}

/**
 * Picks `a` where `condition` is non-zero, else `b` (all broadcast together).
 *
 * @example
 * ```ts
 * import { where, gt } from "./compare.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = Tensor.from([-1, 2]);
 * const relu = where(gt(x, 0), x, 0); // [0, 2]
 * ```
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : "f32";
  const shape = broadcastShapes(
    broadcastShapes(condition.shape, a instanceof Tensor ? a.shape : []),
    b instanceof Tensor ? b.shape : [],
  );
  const views = [broadcastView(condition, shape)];
  const term = (x: Operand) => {
    if (!(x instanceof Tensor)) return literal(x, dtype);
    views.push(broadcastView(x, shape));
    return `v${views.length - 1}`;
  };
  const ta = term(a);
  const tb = term(b);
  const zero = literal(0, condition.dtype);
  const out = runElementwise(shape, dtype, views, `select(${tb}, ${ta}, v0 != ${zero})`);
  const inputs = [a, b].filter((x): x is Tensor => x instanceof Tensor);
  return recordOp(out, "where", inputs, (g) => {
    const grads: Array<Tensor | undefined> = [];
    const branch = (x: Operand, taken: boolean) => {
      if (!(x instanceof Tensor)) return;
      if (!x.requiresGrad) return void grads.push(undefined);
      const picked = where(condition, taken ? g : 0, taken ? 0 : g);
      const reduced = sumTo(picked, x.shape);
      if (reduced !== picked) picked.dispose();
      grads.push(reduced);
    };
    branch(a, true);
    branch(b, false);
    return grads;
  }, [condition]);
}
