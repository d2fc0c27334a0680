/**
 * Scaled dot-product attention, softmax(q·kᵀ·scale)·v, with gradients, processed in
 * blocks of query rows so long token counts never materialise the whole
 * (heads × tokens × tokens) score tensor.
 *
 * Memory bound: besides q, k, v, the output and their gradients (all O(B·H·T·d)), the
 * forward holds one block's scores at a time (two tensors of B·H·blockRows·Tk floats:
 * scores and probabilities), and the backward recomputes each block's probabilities and
 * holds at most four such tensors at once. Nothing of size Tq·Tk is kept between forward
 * and backward: the graph saves only q, k, v and the output. The block height is chosen so
 * one score tensor stays under {@link AttentionOptions.scoreBudgetBytes} (default 32 MiB)
 * and under the device's storage-binding limit.
 *
 * @module
 */

import { noGrad, recordOp } from "../autograd.ts";
import { deviceLimit } from "../device.ts";
import type { Tensor } from "../tensor.ts";
import { scope } from "../scope.ts";
import { mul, sub } from "./binary.ts";
import { accumulate } from "./region_copy.ts";
import { matmul } from "./matmul.ts";
import { concat, slice } from "./movement.ts";
import { sum } from "./reduce.ts";
import { softmax } from "./softmax.ts";

/** Raised for operands whose shapes do not form an attention. */
export class AttentionShapeError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AttentionShapeError";
  }
}

/** Options of {@link attention}. */
export interface AttentionOptions {
  /** Multiplies q·kᵀ before the softmax (default 1/√headDim). */
  scale?: number;
  /**
   * Query rows per block; default: as many as keep one block's score tensor
   * (B·H·rows·Tk floats) under `scoreBudgetBytes`.
   */
  queryBlock?: number;
  /** Byte budget of one block's score tensor (default 32 MiB). */
  scoreBudgetBytes?: number;
}

const DEFAULT_SCORE_BUDGET = 32 * 1024 * 1024;

function checkShapes(q: Tensor, k: Tensor, v: Tensor): void {
  const describe = `q [${q.shape}], k [${k.shape}], v [${v.shape}]`;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new AttentionShapeError(
      `attention expects (batch, heads, tokens, headDim) operands, got ${describe}`,
    );
  }
  const sameBatch = q.shape[0] === k.shape[0] && k.shape[0] === v.shape[0];
  const sameHeads = q.shape[1] === k.shape[1] && k.shape[1] === v.shape[1];
  if (!sameBatch || !sameHeads) {
    throw new AttentionShapeError(`attention: batch and head axes differ: ${describe}`);
  }
  if (q.shape[3] !== k.shape[3]) {
    throw new AttentionShapeError(`attention: q and k head dims differ: ${describe}`);
  }
  if (k.shape[2] !== v.shape[2]) {
    throw new AttentionShapeError(`attention: k and v token counts differ: ${describe}`);
  }
  if (q.dtype !== "f32" || k.dtype !== "f32" || v.dtype !== "f32") {
    throw new TypeError("attention needs f32 operands");
  }
}

/** Query rows per block for a (batch·heads, keys) problem under a byte budget. */
export function attentionQueryBlock(
  batchHeads: number,
  queries: number,
  keys: number,
  budgetBytes: number = DEFAULT_SCORE_BUDGET,
): number {
  const limit = Math.min(budgetBytes, deviceLimit("maxStorageBufferBindingSize"));
  const rows = Math.floor(limit / (4 * Math.max(1, batchHeads * keys)));
  return Math.max(1, Math.min(queries, rows));
}

/** [start, stop) ranges covering `total` rows in blocks of `block`. */
function blocksOf(total: number, block: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < total; start += block) {
    out.push([start, Math.min(total, start + block)]);
  }
  return out;
}

/** Rows [start, stop) of the token axis (no copy when the range is everything). */
function rows(x: Tensor, [start, stop]: [number, number]): Tensor {
  if (start === 0 && stop === x.shape[2]) return x;
  return slice(x, [undefined, undefined, { start, stop }]);
}

/** softmax(qs·kᵀ) for one block of pre-scaled queries. */
function blockProbabilities(scaledQueries: Tensor, k: Tensor): Tensor {
  const scores = matmul(scaledQueries, k, { transposeB: true });
  const p = softmax(scores, -1);
  scores.dispose();
  return p;
}

/** Joins per-block results along the token axis (no copy for a single block). */
function joinRows(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const out = concat(parts, 2);
  for (const p of parts) p.dispose();
  return out;
}

/**
 * softmax(q·kᵀ·scale)·v for q (B, H, Tq, d), k (B, H, Tk, d), v (B, H, Tk, dv), giving
 * (B, H, Tq, dv), with gradients for all three. Query rows are processed in blocks (see
 * the module documentation for the memory bound).
 *
 * @example
 * ```ts
 * import { attention } from "./attention.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const [q, k, v] = [randNormal([1, 2, 5, 4]), randNormal([1, 2, 5, 4]), randNormal([1, 2, 5, 4])];
 * const out = attention(q, k, v); // [1, 2, 5, 4]
 * ```
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  checkShapes(q, k, v);
  const [batch, heads, queries, headDim] = q.shape;
  const keys = k.shape[2];
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  if (!Number.isFinite(scale)) {
    throw new RangeError(`attention: scale must be finite, got ${scale}`);
  }
  const block = options.queryBlock ??
    attentionQueryBlock(batch * heads, queries, keys, options.scoreBudgetBytes);
  if (!Number.isInteger(block) || block < 1) {
    throw new RangeError(`attention: queryBlock must be a positive integer, got ${block}`);
  }
  const ranges = blocksOf(queries, block);
  const out = noGrad(() =>
    scope(() => {
      const scaled = mul(q, scale);
      const parts = ranges.map((range) =>
        scope(() => {
          const qb = rows(scaled, range);
          const p = blockProbabilities(qb, k);
          return matmul(p, v);
        })
      );
      return joinRows(parts);
    })
  );
  return recordOp(out, "attention", [q, k, v], (g) =>
    scope(() => {
      const scaled = mul(q, scale);
      // Σ_j dP_ij·P_ij = Σ_c dO_ic·O_ic: the softmax backward's row term, for all rows at once.
      const rowTerm = sum(mul(g, out), -1, true);
      const dqParts: Tensor[] = [];
      let dk: Tensor | undefined;
      let dv: Tensor | undefined;
      for (const range of ranges) {
        const step = scope(() => {
          const qb = rows(scaled, range);
          const gb = rows(g, range);
          const p = blockProbabilities(qb, k);
          const dvBlock = matmul(p, gb, { transposeA: true });
          const dp = matmul(gb, v, { transposeB: true });
          const ds = mul(p, sub(dp, rows(rowTerm, range)));
          p.dispose();
          dp.dispose();
          const dq = mul(matmul(ds, k), scale);
          const dkBlock = matmul(ds, qb, { transposeA: true });
          return { dq, dkBlock, dvBlock };
        });
        dqParts.push(step.dq);
        dk = accumulate(dk, step.dkBlock);
        dv = accumulate(dv, step.dvBlock);
      }
      return [joinRows(dqParts), dk, dv];
    }), [q, k, v, out]);
}
