/**
 * Float64 reference implementations of the engine's ops in plain TypeScript. Slow and
 * obvious on purpose: every GPU op is compared with these.
 */

/** A dense float64 array. */
export interface Nd {
  shape: number[];
  data: Float64Array;
}

export function nd(data: ArrayLike<number>, shape: number[]): Nd {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`nd: ${data.length} values for [${shape}]`);
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error("no broadcast");
    return Math.max(x, y) === 0 ? 0 : (x === 1 ? y : x);
  });
}

function readBroadcast(x: Nd, coord: number[]): number {
  const off = coord.length - x.shape.length;
  const st = stridesOf(x.shape);
  let idx = 0;
  for (let d = 0; d < x.shape.length; d++) idx += (x.shape[d] === 1 ? 0 : coord[d + off]) * st[d];
  return x.data[idx];
}

export function map2(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const n = shape.reduce((p, q) => p * q, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = unravel(i, shape);
    out[i] = f(readBroadcast(a, c), readBroadcast(b, c));
  }
  return { shape, data: out };
}

export function map1(a: Nd, f: (x: number) => number): Nd {
  return { shape: [...a.shape], data: a.data.map(f) };
}

export function reduce(
  x: Nd,
  axes: number[],
  keep: boolean,
  f: "sum" | "max" | "min" | "mean",
): Nd {
  const set = new Set(axes.map((a) => (a < 0 ? a + x.shape.length : a)));
  const kshape = x.shape.map((s, d) => (set.has(d) ? 1 : s));
  const n = kshape.reduce((a, b) => a * b, 1);
  const init = f === "max" ? -Infinity : f === "min" ? Infinity : 0;
  const out = new Float64Array(n).fill(init);
  const counts = new Float64Array(n);
  const kst = stridesOf(kshape);
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape);
    let o = 0;
    for (let d = 0; d < c.length; d++) o += (set.has(d) ? 0 : c[d]) * kst[d];
    const v = x.data[i];
    if (f === "max") out[o] = Math.max(out[o], v);
    else if (f === "min") out[o] = Math.min(out[o], v);
    else out[o] += v;
    counts[o]++;
  }
  if (f === "mean") { for (let i = 0; i < n; i++) out[i] /= counts[i]; }
  const shape = keep ? kshape : x.shape.filter((_, d) => !set.has(d));
  return { shape, data: out };
}

export function permute(x: Nd, order: number[]): Nd {
  const shape = order.map((a) => x.shape[a]);
  const st = stridesOf(x.shape);
  const n = x.data.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = unravel(i, shape);
    let idx = 0;
    order.forEach((a, k) => (idx += c[k] * st[a]));
    out[i] = x.data[idx];
  }
  return { shape, data: out };
}

export function slice(x: Nd, ranges: Array<[number, number, number] | undefined>): Nd {
  const r = x.shape.map((s, d) => ranges[d] ?? [0, s, 1]);
  const shape = r.map(([a, b, s]) => Math.max(0, Math.ceil((b - a) / s)));
  const st = stridesOf(x.shape);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = unravel(i, shape);
    let idx = 0;
    c.forEach((v, d) => (idx += (r[d][0] + v * r[d][2]) * st[d]));
    out[i] = x.data[idx];
  }
  return { shape, data: out };
}

export function pad(x: Nd, widths: Array<[number, number]>, value: number): Nd {
  const shape = x.shape.map((s, d) => s + widths[d][0] + widths[d][1]);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n).fill(value);
  const st = stridesOf(shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape);
    let o = 0;
    c.forEach((v, d) => (o += (v + widths[d][0]) * st[d]));
    out[o] = x.data[i];
  }
  return { shape, data: out };
}

export function concat(xs: Nd[], axis: number): Nd {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis], 0);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const st = stridesOf(shape);
  let at = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const c = unravel(i, x.shape);
      c[axis] += at;
      let o = 0;
      c.forEach((v, d) => (o += v * st[d]));
      out[o] = x.data[i];
    }
    at += x.shape[axis];
  }
  return { shape, data: out };
}

/** Batched matmul with broadcasting batch axes. */
export function matmul(a: Nd, b: Nd): Nd {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.reduce((p, q) => p * q, 1);
  const out = new Float64Array(nb * m * n);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  for (let bi = 0; bi < nb; bi++) {
    const c = unravel(bi, batch);
    const ao = indexBroadcast(c, aBatch) * m * k;
    const bo = indexBroadcast(c, bBatch) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[ao + i * k + q] * b.data[bo + q * n + j];
        out[bi * m * n + i * n + j] = s;
      }
    }
  }
  return { shape: [...batch, m, n], data: out };
}

function indexBroadcast(coord: number[], shape: number[]): number {
  const off = coord.length - shape.length;
  const st = stridesOf(shape);
  let idx = 0;
  shape.forEach((s, d) => (idx += (s === 1 ? 0 : coord[d + off]) * st[d]));
  return idx;
}

export function softmax(x: Nd, axis: number, log = false): Nd {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const m = reduce(x, [ax], true, "max");
  const z = map2(x, m, (p, q) => p - q);
  const e = map1(z, Math.exp);
  const s = reduce(e, [ax], true, "sum");
  return log ? map2(z, s, (p, q) => p - Math.log(q)) : map2(e, s, (p, q) => p / q);
}

export function flip(x: Nd, axes: number[]): Nd {
  const set = new Set(axes);
  const n = x.data.length;
  const out = new Float64Array(n);
  const st = stridesOf(x.shape);
  for (let i = 0; i < n; i++) {
    const c = unravel(i, x.shape);
    let idx = 0;
    c.forEach((v, d) => (idx += (set.has(d) ? x.shape[d] - 1 - v : v) * st[d]));
    out[i] = x.data[idx];
  }
  return { shape: [...x.shape], data: out };
}
