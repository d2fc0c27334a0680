/** Float64 reference of scaled dot-product attention. */

import type { Nd } from "./ndarray.ts";

/** softmax(q·kᵀ·scale)·v for q (B, H, Tq, d), k (B, H, Tk, d), v (B, H, Tk, dv). */
export function attentionRef(q: Nd, k: Nd, v: Nd, scale?: number): Nd {
  const [b, h, tq, d] = q.shape;
  const tk = k.shape[2];
  const dv = v.shape[3];
  const s = scale ?? 1 / Math.sqrt(d);
  const out = new Float64Array(b * h * tq * dv);
  const weights = new Float64Array(tk);
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = 0; i < tq; i++) {
      let top = -Infinity;
      for (let j = 0; j < tk; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) {
          dot += q.data[(bh * tq + i) * d + c] * k.data[(bh * tk + j) * d + c];
        }
        weights[j] = dot * s;
        top = Math.max(top, weights[j]);
      }
      let total = 0;
      for (let j = 0; j < tk; j++) total += weights[j] = Math.exp(weights[j] - top);
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < tk; j++) acc += weights[j] * v.data[(bh * tk + j) * dv + c];
        out[(bh * tq + i) * dv + c] = acc / total;
      }
    }
  }
  return { shape: [b, h, tq, dv], data: out };
}
