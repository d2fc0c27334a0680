/**
 * Convolution benchmarks: conv3d and convTranspose3d forward, and forward + backward
 * (input, weight and bias gradients), on the shapes of a small 3-D U-Net at batch 2.
 * GFLOP/s counts 2·N·Cout·Do·Ho·Wo·Cin·kD·kH·kW per pass, padding taps included, and
 * three passes for forward + backward.
 */

import { backward, ones, randNormal, type Tensor } from "../core/mod.ts";
import { conv3d } from "../core/ops/conv3d.ts";
import { convTranspose3d } from "../core/ops/conv_transpose3d.ts";
import type { BenchCase } from "./harness.ts";

interface ConvShape {
  n: number;
  cin: number;
  cout: number;
  size: number;
  k: number;
  stride: number;
}

function convFlops(s: ConvShape, transposed: boolean): number {
  const out = transposed ? s.size * s.stride : Math.floor((s.size - 1) / s.stride) + 1;
  // A transposed conv with kernel = stride touches each output voxel with one tap.
  const taps = transposed ? 1 : s.k ** 3;
  const inPerOut = transposed ? s.cin : s.cin * taps;
  return 2 * s.n * s.cout * out ** 3 * inPerOut;
}

function runs(s: ConvShape): number {
  return s.size >= 64 ? 3 : 5;
}

function conv3dCase(s: ConvShape, withBackward: boolean): BenchCase {
  const passes = withBackward ? 3 : 1;
  return {
    name: withBackward ? "conv3d.fwdbwd" : "conv3d.fwd",
    params: { ...s },
    flops: passes * convFlops(s, false),
    runs: runs(s),
    peer: {
      kind: "conv3d",
      n: s.n,
      cin: s.cin,
      cout: s.cout,
      size: s.size,
      k: s.k,
      stride: s.stride,
      backward: withBackward,
    },
    setup: () => {
      const x = randNormal([s.n, s.size, s.size, s.size, s.cin]).keep();
      const w = randNormal([s.k, s.k, s.k, s.cin, s.cout], 0, 0.05).keep();
      const b = randNormal([s.cout]).keep();
      const params = [x, w, b];
      if (withBackward) { for (const t of params) t.requiresGrad = true; }
      const options = { stride: s.stride, padding: Math.floor(s.k / 2) };
      const out = Math.floor((s.size - 1) / s.stride) + 1;
      const seed = withBackward ? ones([s.n, out, out, out, s.cout]).keep() : undefined;
      return Promise.resolve({
        run: () => {
          if (!withBackward) {
            conv3d(x, w, b, options).dispose();
            return;
          }
          // Seeded with dL/dy = 1 (as y.sum().backward()) without timing a sum.
          const y = conv3d(x, w, b, options);
          backward(y, { grad: seed! });
          y.dispose();
          for (const t of params) dropGrad(t);
        },
        dispose: () => [...params, seed].forEach((t) => t?.dispose()),
      });
    },
  };
}

function convTransposeCase(s: ConvShape, withBackward: boolean): BenchCase {
  const passes = withBackward ? 3 : 1;
  return {
    name: withBackward ? "convT3d.fwdbwd" : "convT3d.fwd",
    params: { ...s },
    flops: passes * convFlops(s, true),
    runs: runs(s),
    peer: {
      kind: "conv_transpose3d",
      n: s.n,
      cin: s.cin,
      cout: s.cout,
      size: s.size,
      k: s.k,
      stride: s.stride,
      backward: withBackward,
    },
    setup: () => {
      const x = randNormal([s.n, s.size, s.size, s.size, s.cin]).keep();
      const w = randNormal([s.k, s.k, s.k, s.cin, s.cout], 0, 0.05).keep();
      const b = randNormal([s.cout]).keep();
      const params = [x, w, b];
      if (withBackward) { for (const t of params) t.requiresGrad = true; }
      const options = { stride: s.stride };
      const out = s.size * s.stride;
      const seed = withBackward ? ones([s.n, out, out, out, s.cout]).keep() : undefined;
      return Promise.resolve({
        run: () => {
          if (!withBackward) {
            convTranspose3d(x, w, b, options).dispose();
            return;
          }
          // Seeded with dL/dy = 1 (as y.sum().backward()) without timing a sum.
          const y = convTranspose3d(x, w, b, options);
          backward(y, { grad: seed! });
          y.dispose();
          for (const t of params) dropGrad(t);
        },
        dispose: () => [...params, seed].forEach((t) => t?.dispose()),
      });
    },
  };
}

function dropGrad(t: Tensor): void {
  t.grad?.dispose();
  t.grad = undefined;
}

const N = 2;
const CONV_SHAPES: ConvShape[] = [
  { n: N, cin: 32, cout: 32, size: 64, k: 3, stride: 1 },
  { n: N, cin: 1, cout: 32, size: 64, k: 3, stride: 1 },
  { n: N, cin: 64, cout: 64, size: 32, k: 3, stride: 1 },
  { n: N, cin: 128, cout: 128, size: 16, k: 3, stride: 1 },
  { n: N, cin: 32, cout: 64, size: 64, k: 3, stride: 2 },
];
const TRANSPOSED_SHAPES: ConvShape[] = [
  { n: N, cin: 64, cout: 32, size: 32, k: 2, stride: 2 },
];

/** The convolution benchmark rows: forward, then forward + backward, per shape. */
export const convBenchmarks: BenchCase[] = [
  ...CONV_SHAPES.flatMap((s) => [conv3dCase(s, false), conv3dCase(s, true)]),
  ...TRANSPOSED_SHAPES.flatMap((s) => [convTransposeCase(s, false), convTransposeCase(s, true)]),
];
