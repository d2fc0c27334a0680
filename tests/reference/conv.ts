/**
 * Float64 reference convolutions in plain loops, written from the definitions (not from
 * the GPU kernels' index maps): channels-last input, weight (kD, kH, kW, Cin, Cout).
 */

import type { Nd } from "./ndarray.ts";

/** Per-axis geometry of a reference convolution. */
export interface ConvRefOptions {
  stride?: number[];
  padding?: number[];
  dilation?: number[];
}

/** y[n, o, co] = b[co] + Σ_{k, ci} x[n, o·s − p + k·dil, ci] · w[k, ci, co] (zero outside). */
export function conv3d(x: Nd, w: Nd, b: Nd | undefined, options: ConvRefOptions = {}): Nd {
  const [n, di, hi, wi, cin] = x.shape;
  const [kd, kh, kw, wcin, cout] = w.shape;
  if (wcin !== cin) throw new Error("conv3d ref: channel mismatch");
  const s = options.stride ?? [1, 1, 1];
  const p = options.padding ?? [0, 0, 0];
  const dl = options.dilation ?? [1, 1, 1];
  const k = [kd, kh, kw];
  const inp = [di, hi, wi];
  const out = inp.map((v, a) => Math.floor((v + 2 * p[a] - dl[a] * (k[a] - 1) - 1) / s[a]) + 1);
  const [dout, hout, wout] = out;
  const y = new Float64Array(n * dout * hout * wout * cout);
  for (let b0 = 0; b0 < n; b0++) {
    for (let od = 0; od < dout; od++) {
      for (let oh = 0; oh < hout; oh++) {
        for (let ow = 0; ow < wout; ow++) {
          const yo = (((b0 * dout + od) * hout + oh) * wout + ow) * cout;
          for (let co = 0; co < cout; co++) y[yo + co] = b ? b.data[co] : 0;
          for (let a = 0; a < kd; a++) {
            const id = od * s[0] - p[0] + a * dl[0];
            if (id < 0 || id >= di) continue;
            for (let c = 0; c < kh; c++) {
              const ih = oh * s[1] - p[1] + c * dl[1];
              if (ih < 0 || ih >= hi) continue;
              for (let e = 0; e < kw; e++) {
                const iw = ow * s[2] - p[2] + e * dl[2];
                if (iw < 0 || iw >= wi) continue;
                const xo = (((b0 * di + id) * hi + ih) * wi + iw) * cin;
                const wo = ((a * kh + c) * kw + e) * cin * cout;
                for (let ci = 0; ci < cin; ci++) {
                  const xv = x.data[xo + ci];
                  for (let co = 0; co < cout; co++) {
                    y[yo + co] += xv * w.data[wo + ci * cout + co];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return { shape: [n, dout, hout, wout, cout], data: y };
}

/**
 * Transposed convolution by scattering (padding 0): every input voxel i adds
 * x[i, ci] · w[k, ci, co] to y[i·s + k, co]; output extent (D − 1)·s + kD per axis.
 */
export function convTranspose3d(x: Nd, w: Nd, b: Nd | undefined, stride: number[]): Nd {
  const [n, di, hi, wi, cin] = x.shape;
  const [kd, kh, kw, wcin, cout] = w.shape;
  if (wcin !== cin) throw new Error("convTranspose3d ref: channel mismatch");
  const [sd, sh, sw] = stride;
  const dout = (di - 1) * sd + kd;
  const hout = (hi - 1) * sh + kh;
  const wout = (wi - 1) * sw + kw;
  const y = new Float64Array(n * dout * hout * wout * cout);
  if (b) { for (let i = 0; i < y.length; i++) y[i] = b.data[i % cout]; }
  for (let b0 = 0; b0 < n; b0++) {
    for (let id = 0; id < di; id++) {
      for (let ih = 0; ih < hi; ih++) {
        for (let iw = 0; iw < wi; iw++) {
          const xo = (((b0 * di + id) * hi + ih) * wi + iw) * cin;
          for (let a = 0; a < kd; a++) {
            for (let c = 0; c < kh; c++) {
              for (let e = 0; e < kw; e++) {
                const od = id * sd + a;
                const oh = ih * sh + c;
                const ow = iw * sw + e;
                const yo = (((b0 * dout + od) * hout + oh) * wout + ow) * cout;
                const wo = ((a * kh + c) * kw + e) * cin * cout;
                for (let ci = 0; ci < cin; ci++) {
                  const xv = x.data[xo + ci];
                  for (let co = 0; co < cout; co++) y[yo + co] += xv * w.data[wo + ci * cout + co];
                }
              }
            }
          }
        }
      }
    }
  }
  return { shape: [n, dout, hout, wout, cout], data: y };
}

/**
 * A plain 2-D convolution, (N, H, W, Cin) with weight (kH, kW, Cin, Cout), stride and
 * padding per axis: an independent check that conv3d with D = 1, kD = 1 is a 2-D conv.
 */
export function conv2d(x: Nd, w: Nd, b: Nd | undefined, stride: number[], padding: number[]): Nd {
  const [n, hi, wi, cin] = x.shape;
  const [kh, kw, , cout] = w.shape;
  const hout = Math.floor((hi + 2 * padding[0] - kh) / stride[0]) + 1;
  const wout = Math.floor((wi + 2 * padding[1] - kw) / stride[1]) + 1;
  const y = new Float64Array(n * hout * wout * cout);
  let o = 0;
  for (let b0 = 0; b0 < n; b0++) {
    for (let oh = 0; oh < hout; oh++) {
      for (let ow = 0; ow < wout; ow++) {
        for (let co = 0; co < cout; co++, o++) {
          let acc = b ? b.data[co] : 0;
          for (let r = 0; r < kh; r++) {
            for (let c = 0; c < kw; c++) {
              const ih = oh * stride[0] - padding[0] + r;
              const iw = ow * stride[1] - padding[1] + c;
              if (ih < 0 || ih >= hi || iw < 0 || iw >= wi) continue;
              for (let ci = 0; ci < cin; ci++) {
                acc += x.data[((b0 * hi + ih) * wi + iw) * cin + ci] *
                  w.data[((r * kw + c) * cin + ci) * cout + co];
              }
            }
          }
          y[o] = acc;
        }
      }
    }
  }
  return { shape: [n, hout, wout, cout], data: y };
}

/** Gradients of L = Σ conv3d(x, w, b) · gy with respect to x, w and b, by the chain rule. */
export function conv3dBackward(
  x: Nd,
  w: Nd,
  gy: Nd,
  options: ConvRefOptions = {},
): { gx: Nd; gw: Nd; gb: Nd } {
  const [n, di, hi, wi, cin] = x.shape;
  const [kd, kh, kw, , cout] = w.shape;
  const [, dout, hout, wout] = gy.shape;
  const s = options.stride ?? [1, 1, 1];
  const p = options.padding ?? [0, 0, 0];
  const dl = options.dilation ?? [1, 1, 1];
  const gx = new Float64Array(x.data.length);
  const gw = new Float64Array(w.data.length);
  const gb = new Float64Array(cout);
  for (let b0 = 0; b0 < n; b0++) {
    for (let od = 0; od < dout; od++) {
      for (let oh = 0; oh < hout; oh++) {
        for (let ow = 0; ow < wout; ow++) {
          const yo = (((b0 * dout + od) * hout + oh) * wout + ow) * cout;
          for (let co = 0; co < cout; co++) gb[co] += gy.data[yo + co];
          for (let a = 0; a < kd; a++) {
            const id = od * s[0] - p[0] + a * dl[0];
            if (id < 0 || id >= di) continue;
            for (let c = 0; c < kh; c++) {
              const ih = oh * s[1] - p[1] + c * dl[1];
              if (ih < 0 || ih >= hi) continue;
              for (let e = 0; e < kw; e++) {
                const iw = ow * s[2] - p[2] + e * dl[2];
                if (iw < 0 || iw >= wi) continue;
                const xo = (((b0 * di + id) * hi + ih) * wi + iw) * cin;
                const wo = ((a * kh + c) * kw + e) * cin * cout;
                for (let ci = 0; ci < cin; ci++) {
                  for (let co = 0; co < cout; co++) {
                    const g = gy.data[yo + co];
                    gx[xo + ci] += g * w.data[wo + ci * cout + co];
                    gw[wo + ci * cout + co] += g * x.data[xo + ci];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return {
    gx: { shape: [...x.shape], data: gx },
    gw: { shape: [...w.shape], data: gw },
    gb: { shape: [cout], data: gb },
  };
}

/** Gradients of L = Σ convTranspose3d(x, w, b, stride) · gy with respect to x, w and b. */
export function convTranspose3dBackward(
  x: Nd,
  w: Nd,
  gy: Nd,
  stride: number[],
): { gx: Nd; gw: Nd; gb: Nd } {
  const [n, di, hi, wi, cin] = x.shape;
  const [kd, kh, kw, , cout] = w.shape;
  const [, dout, hout, wout] = gy.shape;
  const gx = new Float64Array(x.data.length);
  const gw = new Float64Array(w.data.length);
  const gb = new Float64Array(cout);
  for (let i = 0; i < gy.data.length; i++) gb[i % cout] += gy.data[i];
  for (let b0 = 0; b0 < n; b0++) {
    for (let id = 0; id < di; id++) {
      for (let ih = 0; ih < hi; ih++) {
        for (let iw = 0; iw < wi; iw++) {
          const xo = (((b0 * di + id) * hi + ih) * wi + iw) * cin;
          for (let a = 0; a < kd; a++) {
            for (let c = 0; c < kh; c++) {
              for (let e = 0; e < kw; e++) {
                const od = id * stride[0] + a;
                const oh = ih * stride[1] + c;
                const ow = iw * stride[2] + e;
                const yo = (((b0 * dout + od) * hout + oh) * wout + ow) * cout;
                const wo = ((a * kh + c) * kw + e) * cin * cout;
                for (let ci = 0; ci < cin; ci++) {
                  for (let co = 0; co < cout; co++) {
                    const g = gy.data[yo + co];
                    gx[xo + ci] += g * w.data[wo + ci * cout + co];
                    gw[wo + ci * cout + co] += g * x.data[xo + ci];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return {
    gx: { shape: [...x.shape], data: gx },
    gw: { shape: [...w.shape], data: gw },
    gb: { shape: [cout], data: gb },
  };
}
