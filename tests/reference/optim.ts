/**
 * Float64 references of the optimizer updates, gradient clipping and EMA, written
 * straight from the formulas (PyTorch's `torch.optim.SGD`, `torch.optim.AdamW`,
 * `clip_grad_norm_`).
 */

/** SGD state of one parameter. */
export interface SgdRefState {
  buffer?: Float64Array;
}

/** One SGD step in float64, updating `p` and `state` in place. */
export function sgdStepRef(
  p: Float64Array,
  grad: ArrayLike<number>,
  state: SgdRefState,
  o: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean },
): void {
  for (let i = 0; i < p.length; i++) {
    let g = grad[i] + o.weightDecay * p[i];
    if (o.momentum !== 0) {
      state.buffer ??= new Float64Array(p.length).fill(NaN);
      const b = Number.isNaN(state.buffer[i])
        ? g
        : o.momentum * state.buffer[i] + (1 - o.dampening) * g;
      state.buffer[i] = b;
      g = o.nesterov ? g + o.momentum * b : b;
    }
    p[i] -= o.lr * g;
  }
}

/** AdamW state of one parameter. */
export interface AdamWRefState {
  step: number;
  m: Float64Array;
  v: Float64Array;
}

/** One AdamW step in float64, updating `p` and `state` in place. */
export function adamwStepRef(
  p: Float64Array,
  grad: ArrayLike<number>,
  state: AdamWRefState,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
): void {
  state.step++;
  const bc1 = 1 - o.beta1 ** state.step;
  const bc2 = 1 - o.beta2 ** state.step;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i];
    p[i] *= 1 - o.lr * o.weightDecay;
    state.m[i] = o.beta1 * state.m[i] + (1 - o.beta1) * g;
    state.v[i] = o.beta2 * state.v[i] + (1 - o.beta2) * g * g;
    const denom = Math.sqrt(state.v[i]) / Math.sqrt(bc2) + o.eps;
    p[i] -= (o.lr / bc1) * state.m[i] / denom;
  }
}

/** Global L2 norm of several gradients and the clipped copies. */
export function clipGradNormRef(
  grads: ArrayLike<number>[],
  maxNorm: number,
): { norm: number; clipped: Float64Array[] } {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, clipped: grads.map((g) => Float64Array.from(g, (x) => x * scale)) };
}

/** One EMA update in float64: s ← d·s + (1 − d)·p. */
export function emaStepRef(shadow: Float64Array, p: ArrayLike<number>, decay: number): void {
  for (let i = 0; i < shadow.length; i++) shadow[i] = decay * shadow[i] + (1 - decay) * p[i];
}
