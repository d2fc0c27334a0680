/** Float64 host references of the augmentation kernels, on channels-last batches. */

import { gaussianHalfKernel } from "../../../data/augmentation/filters.ts";

/** A channels-last batch on the host. */
export interface HostBatch {
  data: Float64Array;
  batch: number;
  size: [number, number, number];
  channels: number;
}

export function at(b: HostBatch, n: number, d: number, h: number, w: number, c: number): number {
  const [, H, W] = b.size;
  return b.data[((((n * b.size[0] + d) * H + h) * W + w) * b.channels) + c];
}

function map(b: HostBatch, f: (n: number, d: number, h: number, w: number, c: number) => number) {
  const out = new Float64Array(b.data.length);
  let i = 0;
  for (let n = 0; n < b.batch; n++) {
    for (let d = 0; d < b.size[0]; d++) {
      for (let h = 0; h < b.size[1]; h++) {
        for (let w = 0; w < b.size[2]; w++) {
          for (let c = 0; c < b.channels; c++) out[i++] = f(n, d, h, w, c);
        }
      }
    }
  }
  return out;
}

/** Trilinear (image) and nearest (label) resampling through 3×4 matrices, fill outside. */
export function affineReference(
  image: HostBatch,
  label: Int32Array,
  matrices: ArrayLike<number>,
  outSize: [number, number, number],
  fill = 0,
  labelFill = 0,
): { image: Float64Array; label: Int32Array; tieDistance: Float64Array } {
  const [D, H, W] = image.size;
  const C = image.channels;
  const voxels = outSize[0] * outSize[1] * outSize[2];
  const out = new Float64Array(image.batch * voxels * C);
  const outLabel = new Int32Array(image.batch * voxels);
  const tie = new Float64Array(image.batch * voxels);
  let v = 0;
  for (let n = 0; n < image.batch; n++) {
    const m = Array.from({ length: 12 }, (_, k) => Math.fround(matrices[12 * n + k]));
    for (let d = 0; d < outSize[0]; d++) {
      for (let h = 0; h < outSize[1]; h++) {
        for (let w = 0; w < outSize[2]; w++, v++) {
          const q = [0, 1, 2].map((r) =>
            m[4 * r] * d + m[4 * r + 1] * h + m[4 * r + 2] * w + m[4 * r + 3]
          );
          const f = q.map(Math.floor);
          const t = q.map((x, a) => x - f[a]);
          for (let c = 0; c < C; c++) {
            let acc = 0;
            for (let corner = 0; corner < 8; corner++) {
              const o = [corner >> 2, (corner >> 1) & 1, corner & 1];
              const z = f[0] + o[0], y = f[1] + o[1], x = f[2] + o[2];
              const weight = (o[0] ? t[0] : 1 - t[0]) * (o[1] ? t[1] : 1 - t[1]) *
                (o[2] ? t[2] : 1 - t[2]);
              const inside = z >= 0 && z < D && y >= 0 && y < H && x >= 0 && x < W;
              acc += weight * (inside ? at(image, n, z, y, x, c) : fill);
            }
            out[v * C + c] = acc;
          }
          const r = q.map((x) => Math.floor(x + 0.5));
          tie[v] = Math.min(...q.map((x) => Math.abs(x - Math.floor(x) - 0.5)));
          const inside = r[0] >= 0 && r[0] < D && r[1] >= 0 && r[1] < H && r[2] >= 0 && r[2] < W;
          outLabel[v] = inside ? label[((n * D + r[0]) * H + r[1]) * W + r[2]] : labelFill;
        }
      }
    }
  }
  return { image: out, label: outLabel, tieDistance: tie };
}

/** Per sample-channel [mean, std, min, max]. */
export function statisticsReference(b: HostBatch): number[][] {
  const stats: number[][] = [];
  const voxels = b.size[0] * b.size[1] * b.size[2];
  for (let n = 0; n < b.batch; n++) {
    for (let c = 0; c < b.channels; c++) {
      let sum = 0, low = Infinity, high = -Infinity;
      for (let v = 0; v < voxels; v++) {
        const x = b.data[(n * voxels + v) * b.channels + c];
        sum += x;
        low = Math.min(low, x);
        high = Math.max(high, x);
      }
      const mean = sum / voxels;
      let squares = 0;
      for (let v = 0; v < voxels; v++) {
        squares += (b.data[(n * voxels + v) * b.channels + c] - mean) ** 2;
      }
      stats.push([mean, Math.sqrt(squares / voxels), low, high]);
    }
  }
  return stats;
}

export function brightnessReference(b: HostBatch, factors: (number | undefined)[]): Float64Array {
  return map(b, (n, d, h, w, c) => at(b, n, d, h, w, c) * (factors[n * b.channels + c] ?? 1));
}

export function contrastReference(b: HostBatch, factors: (number | undefined)[]): Float64Array {
  const stats = statisticsReference(b);
  return map(b, (n, d, h, w, c) => {
    const x = at(b, n, d, h, w, c);
    const f = factors[n * b.channels + c];
    if (f === undefined) return x;
    const [mean, , low, high] = stats[n * b.channels + c];
    return Math.min(high, Math.max(low, (x - mean) * f + mean));
  });
}

export function gammaReference(
  b: HostBatch,
  gammas: (number | undefined)[],
  inverted: boolean,
): Float64Array {
  const s = inverted ? -1 : 1;
  const stats = statisticsReference(b);
  const first = map(b, (n, d, h, w, c) => {
    const x = at(b, n, d, h, w, c);
    const g = gammas[n * b.channels + c];
    if (g === undefined) return x;
    const [, , low, high] = stats[n * b.channels + c];
    const y = s * x;
    const lo = s > 0 ? low : -high;
    const range = high - low + 1e-7;
    return s * (((y - lo) / range) ** g * range + lo);
  });
  const z: HostBatch = { ...b, data: first };
  const after = statisticsReference(z);
  return map(z, (n, d, h, w, c) => {
    const value = at(z, n, d, h, w, c);
    const k = n * b.channels + c;
    if (gammas[k] === undefined) return value;
    return (value - after[k][0]) / (after[k][1] + 1e-8) * stats[k][1] + stats[k][0];
  });
}

function reflect(i: number, length: number): number {
  const period = 2 * length;
  const m = ((i % period) + period) % period;
  return m >= length ? period - 1 - m : m;
}

export function blurReference(
  b: HostBatch,
  sigmas: ([number, number, number] | undefined)[],
): Float64Array {
  let current = b;
  for (let axis = 0; axis < 3; axis++) {
    const src = current;
    const data = map(src, (n, d, h, w, c) => {
      const sigma = sigmas[n * b.channels + c];
      if (!sigma) return at(src, n, d, h, w, c);
      const half = gaussianHalfKernel(sigma[axis]);
      let acc = 0;
      for (let k = -(half.length - 1); k < half.length; k++) {
        const p = [d, h, w];
        p[axis] = reflect(p[axis] + k, b.size[axis]);
        acc += half[Math.abs(k)] * at(src, n, p[0], p[1], p[2], c);
      }
      return acc;
    });
    current = { ...src, data };
  }
  return current.data;
}

export function lowResolutionReference(
  b: HostBatch,
  lowSizes: ([number, number, number] | undefined)[],
): Float64Array {
  const taps = (o: number, size: number, low: number) => {
    const p = Math.min(low - 1, Math.max(0, ((2 * o + 1) * low - size) / (2 * size)));
    const l0 = Math.floor(p);
    const l1 = Math.min(l0 + 1, low - 1);
    const source = (l: number) => Math.min(Math.floor(((2 * l + 1) * size) / (2 * low)), size - 1);
    return { s0: source(l0), s1: source(l1), t: p - l0 };
  };
  return map(b, (n, d, h, w, c) => {
    const low = lowSizes[n * b.channels + c];
    if (!low) return at(b, n, d, h, w, c);
    const tz = taps(d, b.size[0], low[0]);
    const ty = taps(h, b.size[1], low[1]);
    const tx = taps(w, b.size[2], low[2]);
    let acc = 0;
    for (const [z, wz] of [[tz.s0, 1 - tz.t], [tz.s1, tz.t]]) {
      for (const [y, wy] of [[ty.s0, 1 - ty.t], [ty.s1, ty.t]]) {
        for (const [x, wx] of [[tx.s0, 1 - tx.t], [tx.s1, tx.t]]) {
          acc += wz * wy * wx * at(b, n, z, y, x, c);
        }
      }
    }
    return acc;
  });
}
