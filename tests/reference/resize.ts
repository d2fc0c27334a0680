/**
 * Float64 reference of PyTorch's `interpolate` for channels-last volumes (N, D, H, W, C):
 * `nearest` and `trilinear` (with and without align_corners), computed directly in 3-D
 * (eight taps), not as separable passes.
 */

import type { Nd } from "./ndarray.ts";

interface Taps {
  i0: number;
  i1: number;
  w0: number;
  w1: number;
}

function taps(o: number, length: number, outLength: number, mode: string, align: boolean): Taps {
  if (mode === "nearest") {
    // PyTorch computes the scale and the product in float32.
    const scale = Math.fround(length / outLength);
    const i = Math.min(Math.floor(Math.fround(o * scale)), length - 1);
    return { i0: i, i1: i, w0: 1, w1: 0 };
  }
  const src = align
    ? (outLength > 1 ? o * (length - 1) / (outLength - 1) : 0)
    : Math.max((o + 0.5) * length / outLength - 0.5, 0);
  const i0 = Math.min(Math.floor(src), length - 1);
  const i1 = Math.min(i0 + 1, length - 1);
  const w1 = Math.min(Math.max(src - i0, 0), 1);
  return { i0, i1, w0: 1 - w1, w1 };
}

/** Resizes the spatial axes of `x` to `size`. */
export function resize3d(
  x: Nd,
  size: [number, number, number],
  mode: "nearest" | "trilinear",
  alignCorners = false,
): Nd {
  const [n, d, h, w, c] = x.shape;
  const [od, oh, ow] = size;
  const tz = Array.from({ length: od }, (_, o) => taps(o, d, od, mode, alignCorners));
  const ty = Array.from({ length: oh }, (_, o) => taps(o, h, oh, mode, alignCorners));
  const tx = Array.from({ length: ow }, (_, o) => taps(o, w, ow, mode, alignCorners));
  const data = new Float64Array(n * od * oh * ow * c);
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (const z of tz) {
      for (const y of ty) {
        for (const xx of tx) {
          for (let ch = 0; ch < c; ch++) {
            let v = 0;
            for (let a = 0; a < 2; a++) {
              const wz = a ? z.w1 : z.w0;
              const iz = a ? z.i1 : z.i0;
              for (let b2 = 0; b2 < 2; b2++) {
                const wy = b2 ? y.w1 : y.w0;
                const iy = b2 ? y.i1 : y.i0;
                const row = ((b * d + iz) * h + iy) * w;
                for (let e = 0; e < 2; e++) {
                  const weight = wz * wy * (e ? xx.w1 : xx.w0);
                  if (weight) v += weight * x.data[(row + (e ? xx.i1 : xx.i0)) * c + ch];
                }
              }
            }
            data[at++] = v;
          }
        }
      }
    }
  }
  return { shape: [n, od, oh, ow, c], data };
}
