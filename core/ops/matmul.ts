/**
 * Batched matrix multiplication with broadcasting batch axes and gradients.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { contiguousStrides } from "../../shaders/elementwise.ts";
import { matmulKernel } from "../../shaders/matmul.ts";
import { bindTensor, broadcastShapes } from "./run_kernel.ts";
import { full } from "./creation.ts";
import { sumTo } from "./reduce.ts";

/** Which kernel shape matmul uses on the current adapter. */
export function matmulVariant(): "subgroup" | "tiled" {
  return gpu().subgroupSize === 8 ? "subgroup" : "tiled";
}

/**
 * C = A · B for `a` of shape [..., m, k] and `b` of shape [..., k, n]; `transposeA` /
 * `transposeB` read an operand as its transpose without copying.
 */
function matmulRaw(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  if (a.rank < 2 || b.rank < 2) throw new RangeError("matmul operands need rank ≥ 2");
  if (a.dtype !== "f32" || b.dtype !== "f32") throw new TypeError("matmul needs f32 operands");
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [k2, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== k2) {
    throw new RangeError(`matmul: inner sizes differ, [${a.shape}] · [${b.shape}]`);
  }
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = new Tensor([...batchShape, m, n], "f32");
  if (out.size === 0) return out;
  if (k === 0) {
    const zero = full(out.shape, 0);
    out.dispose();
    return zero;
  }
  const stridesOf = (t: Tensor, transpose: boolean) => {
    const own = contiguousStrides(t.shape);
    const lead = batchShape.length - (t.rank - 2);
    const batch = batchShape.map((_, d) => {
      const td = d - lead;
      return td < 0 || t.shape[td] === 1 ? 0 : own[td];
    });
    const [s0, s1] = own.slice(-2);
    return [...batch, ...(transpose ? [s1, s0] : [s0, s1])];
  };
  const { code, workgroups } = matmulKernel({
    batchShape,
    m,
    n,
    k,
    aStrides: stridesOf(a, transposeA),
    bStrides: stridesOf(b, transposeB),
    variant: matmulVariant(),
  });
  dispatch(code, [bindTensor(out), bindTensor(a), bindTensor(b)], workgroups);
  return out;
}

/**
 * Matrix product over the last two axes, batch axes broadcast (like `torch.matmul` for
 * rank ≥ 2).
 *
 * @example
 * ```ts
 * import { matmul } from "./matmul.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const c = matmul(Tensor.from([1, 2, 3, 4], [2, 2]), Tensor.from([1, 0, 0, 1], [2, 2]));
 * ```
 */
export function matmul(
  a: Tensor,
  b: Tensor,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Tensor {
  const ta = options.transposeA ?? false;
  const tb = options.transposeB ?? false;
  const out = matmulRaw(a, b, ta, tb);
  return recordOp(out, "matmul", [a, b], (g) => {
    let ga: Tensor | undefined;
    let gb: Tensor | undefined;
    if (a.requiresGrad) {
      // dA = g · Bᵀ (or B · gᵀ when A was read transposed)
      const full = ta ? matmulRaw(b, g, tb, true) : matmulRaw(g, b, false, !tb);
      ga = sumTo(full, a.shape);
      if (ga !== full) full.dispose();
    }
    if (b.requiresGrad) {
      // dB = Aᵀ · g (or gᵀ · A when B was read transposed)
      const full = tb ? matmulRaw(g, a, true, ta) : matmulRaw(a, g, !ta, false);
      gb = sumTo(full, b.shape);
      if (gb !== full) full.dispose();
    }
    return [ga, gb];
  }, [a, b]);
}
