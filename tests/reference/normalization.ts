/**
 * Float64 references of the normalisation layers and activations, written the obvious way
 * (two passes for mean and variance) on channels-last arrays.
 */

import type { Nd } from "./ndarray.ts";

/** Statistics of one (block, group): mean, biased and unbiased variance. */
export interface GroupStats {
  mean: number;
  variance: number;
  unbiased: number;
}

/**
 * Normalises the (B, S, C) view of `x` with statistics per (b, group) over S × C/G values,
 * then y = act((x − μ)/√(σ² + eps) · w[c] + b[c]). `fixed` replaces the statistics
 * (per channel, B = 1) as in batch norm evaluation.
 */
export function normalizeView(
  x: Nd,
  view: { batch: number; rows: number; channels: number; groups: number },
  options: {
    weight?: Nd;
    bias?: Nd;
    eps?: number;
    negativeSlope?: number;
    fixed?: { mean: Float64Array; variance: Float64Array };
  } = {},
): { y: Nd; stats: GroupStats[] } {
  const { batch: B, rows: S, channels: C, groups: G } = view;
  const eps = options.eps ?? 1e-5;
  const perGroup = C / G;
  const y = new Float64Array(x.data.length);
  const stats: GroupStats[] = [];
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < G; g++) {
      const at = (s: number, k: number) => (b * S + s) * C + g * perGroup + k;
      let mean = 0;
      for (let s = 0; s < S; s++) for (let k = 0; k < perGroup; k++) mean += x.data[at(s, k)];
      const count = S * perGroup;
      mean /= count;
      let m2 = 0;
      for (let s = 0; s < S; s++) {
        for (let k = 0; k < perGroup; k++) m2 += (x.data[at(s, k)] - mean) ** 2;
      }
      stats.push({ mean, variance: m2 / count, unbiased: m2 / Math.max(count - 1, 1) });
      for (let k = 0; k < perGroup; k++) {
        const c = g * perGroup + k;
        const mu = options.fixed ? options.fixed.mean[c] : mean;
        const v = options.fixed ? options.fixed.variance[c] : m2 / count;
        const rstd = 1 / Math.sqrt(v + eps);
        const w = options.weight ? options.weight.data[c] : 1;
        const bias = options.bias ? options.bias.data[c] : 0;
        for (let s = 0; s < S; s++) {
          const z = (x.data[at(s, k)] - mu) * rstd * w + bias;
          const slope = options.negativeSlope;
          y[at(s, k)] = slope === undefined || z > 0 ? z : z * slope;
        }
      }
    }
  }
  return { y: { shape: [...x.shape], data: y }, stats };
}

function spatial(x: Nd): number {
  return x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
}

/** Instance norm (+ optional LeakyReLU slope) of a channels-last (N, …, C) array. */
export function instanceNorm(
  x: Nd,
  weight?: Nd,
  bias?: Nd,
  eps = 1e-5,
  negativeSlope?: number,
): Nd {
  const C = x.shape[x.shape.length - 1];
  return normalizeView(x, { batch: x.shape[0], rows: spatial(x), channels: C, groups: C }, {
    weight,
    bias,
    eps,
    negativeSlope,
  }).y;
}

/** Group norm of a channels-last (N, …, C) array. */
export function groupNorm(x: Nd, groups: number, weight?: Nd, bias?: Nd, eps = 1e-5): Nd {
  const C = x.shape[x.shape.length - 1];
  return normalizeView(x, { batch: x.shape[0], rows: spatial(x), channels: C, groups }, {
    weight,
    bias,
    eps,
  }).y;
}

/**
 * Batch norm of a channels-last array. Training returns the batch-normalised output and
 * the updated running statistics; evaluation normalises with the running statistics.
 */
export function batchNorm(
  x: Nd,
  running: { mean: Float64Array; variance: Float64Array },
  weight: Nd | undefined,
  bias: Nd | undefined,
  options: { training: boolean; momentum?: number; eps?: number },
): { y: Nd; mean: Float64Array; variance: Float64Array } {
  const C = x.shape[x.shape.length - 1];
  const view = { batch: 1, rows: x.data.length / C, channels: C, groups: C };
  const m = options.momentum ?? 0.1;
  if (!options.training) {
    const { y } = normalizeView(x, view, { weight, bias, eps: options.eps, fixed: running });
    return { y, mean: running.mean.slice(), variance: running.variance.slice() };
  }
  const { y, stats } = normalizeView(x, view, { weight, bias, eps: options.eps });
  return {
    y,
    mean: running.mean.map((r, c) => (1 - m) * r + m * stats[c].mean),
    variance: running.variance.map((r, c) => (1 - m) * r + m * stats[c].unbiased),
  };
}

/** Layer norm over the trailing `normalizedSize` elements. */
export function layerNorm(
  x: Nd,
  normalizedSize: number,
  weight?: Nd,
  bias?: Nd,
  eps = 1e-5,
): Nd {
  const view = {
    batch: x.data.length / normalizedSize,
    rows: 1,
    channels: normalizedSize,
    groups: 1,
  };
  return normalizeView(x, view, { weight, bias, eps }).y;
}

/** erf in float64: Taylor series near 0, continued fraction of erfc in the tails. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3.5) {
    let term = a;
    let total = a;
    for (let n = 1; n < 200; n++) {
      term *= -a * a / n;
      const add = term / (2 * n + 1);
      total += add;
      if (Math.abs(add) < 1e-17 * Math.abs(total)) break;
    }
    return Math.sign(x) * total * 2 / Math.sqrt(Math.PI);
  }
  // erfc(a) = e^{−a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated backwards.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + (k / 2) / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** GELU, exact (erf) or with the tanh approximation. */
export function gelu(x: number, approximate: "none" | "tanh" = "none"): number {
  if (approximate === "tanh") {
    const inner = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3);
    return 0.5 * x * (1 + Math.tanh(inner));
  }
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** ELU. */
export function elu(x: number, alpha = 1): number {
  return x > 0 ? x : alpha * Math.expm1(x);
}

/** LeakyReLU. */
export function leakyRelu(x: number, slope = 0.01): number {
  return x > 0 ? x : slope * x;
}

/** PReLU of a channels-last array with a weight per channel (C) or one weight (1). */
export function prelu(x: Nd, weight: Nd): Nd {
  const C = x.shape[x.shape.length - 1];
  const data = x.data.map((v, i) => {
    const w = weight.data.length === 1 ? weight.data[0] : weight.data[i % C];
    return v > 0 ? v : w * v;
  });
  return { shape: [...x.shape], data };
}

/**
 * Analytic float64 gradients of instance norm + LeakyReLU (slope) for an output gradient
 * `gy`: returns the gradients of x, weight and bias.
 */
export function instanceNormActivationGrad(
  x: Nd,
  weight: Float64Array,
  bias: Float64Array,
  gy: Float64Array,
  slope: number,
  eps = 1e-5,
): { x: Float64Array; weight: Float64Array; bias: Float64Array } {
  const C = x.shape[x.shape.length - 1];
  const S = spatial(x);
  const B = x.shape[0];
  const gx = new Float64Array(x.data.length);
  const gw = new Float64Array(C);
  const gb = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const at = (s: number) => (b * S + s) * C + c;
      let mean = 0;
      for (let s = 0; s < S; s++) mean += x.data[at(s)];
      mean /= S;
      let m2 = 0;
      for (let s = 0; s < S; s++) m2 += (x.data[at(s)] - mean) ** 2;
      const rstd = 1 / Math.sqrt(m2 / S + eps);
      const gz = new Float64Array(S);
      const xhat = new Float64Array(S);
      let sumGz = 0;
      let sumGzXhat = 0;
      for (let s = 0; s < S; s++) {
        xhat[s] = (x.data[at(s)] - mean) * rstd;
        const z = xhat[s] * weight[c] + bias[c];
        gz[s] = z > 0 ? gy[at(s)] : gy[at(s)] * slope;
        sumGz += gz[s];
        sumGzXhat += gz[s] * xhat[s];
      }
      gw[c] += sumGzXhat;
      gb[c] += sumGz;
      for (let s = 0; s < S; s++) {
        gx[at(s)] = rstd * weight[c] * (gz[s] - sumGz / S - xhat[s] * sumGzXhat / S);
      }
    }
  }
  return { x: gx, weight: gw, bias: gb };
}
