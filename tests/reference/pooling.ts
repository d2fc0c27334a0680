/**
 * Float64 references for 3-D max and average pooling over channels-last (N, D, H, W, C)
 * volumes, written directly from the definitions.
 */

import type { Nd } from "./ndarray.ts";

/** Per-axis window parameters (D, H, W). */
export interface PoolParams {
  kernel: [number, number, number];
  stride: [number, number, number];
  padding: [number, number, number];
}

/** Max (first maximum wins ties) or average (padding counted) pooling. */
export function pool3d(x: Nd, p: PoolParams, kind: "max" | "avg"): Nd {
  const [n, d, h, w, c] = x.shape;
  const spatial = [d, h, w];
  const out = spatial.map((s, a) =>
    Math.floor((s + 2 * p.padding[a] - p.kernel[a]) / p.stride[a]) + 1
  );
  const [od, oh, ow] = out;
  const data = new Float64Array(n * od * oh * ow * c);
  const volume = p.kernel[0] * p.kernel[1] * p.kernel[2];
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < od; z++) {
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity;
            let acc = 0;
            for (let kz = 0; kz < p.kernel[0]; kz++) {
              const iz = z * p.stride[0] - p.padding[0] + kz;
              if (iz < 0 || iz >= d) continue;
              for (let ky = 0; ky < p.kernel[1]; ky++) {
                const iy = y * p.stride[1] - p.padding[1] + ky;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < p.kernel[2]; kx++) {
                  const ix = xx * p.stride[2] - p.padding[2] + kx;
                  if (ix < 0 || ix >= w) continue;
                  const v = x.data[(((b * d + iz) * h + iy) * w + ix) * c + ch];
                  best = Math.max(best, v);
                  acc += v;
                }
              }
            }
            data[o++] = kind === "max" ? best : acc / volume;
          }
        }
      }
    }
  }
  return { shape: [n, od, oh, ow, c], data };
}
