import {
  backward,
  gpu,
  memoryStats,
  mul,
  overrideLimit,
  scope,
  sum,
  Tensor,
} from "../../../core/mod.ts";
import { overrideConvKernels } from "../../../core/ops/conv3d.ts";
import {
  convTranspose3d,
  transposedWeightFromTorchLayout,
  transposedWeightToTorchLayout,
} from "../../../core/ops/conv_transpose3d.ts";
import type { ConvVariant } from "../../../shaders/conv3d.ts";
import * as RC from "../../reference/conv.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { assertClose, assertShape, randomPair, randomValues, setupGpu } from "../../helpers.ts";

await setupGpu();

const VARIANTS: ConvVariant[] = gpu().subgroupSize === 8 ? ["subgroup", "portable"] : ["portable"];

async function withVariant(variant: ConvVariant, fn: () => Promise<void>): Promise<void> {
  overrideConvKernels(variant);
  try {
    await fn();
  } finally {
    overrideConvKernels(undefined);
  }
}

interface Case {
  x: number[];
  k: number[];
  cout: number;
  stride?: number[];
}

const label = (c: Case) => `x[${c.x}] k[${c.k}] cout ${c.cout} stride [${c.stride ?? c.k}]`;

// Kernel = stride (the U-Net upsampling: 2×2×2, 1×2×2), channel counts 1, 3, 5, and one
// kernel larger than its stride, where output voxels sum several taps.
const GRAD_CASES: Case[] = [
  { x: [2, 3, 4, 5, 3], k: [2, 2, 2], cout: 5 },
  { x: [2, 3, 3, 5, 5], k: [1, 2, 2], cout: 12 },
  { x: [2, 2, 3, 3, 1], k: [2, 2, 2], cout: 9 },
  { x: [1, 2, 3, 4, 2], k: [3, 3, 3], cout: 3, stride: [2, 2, 2] },
  { x: [1, 3, 2, 3, 4], k: [2, 1, 3], cout: 1 },
];

Deno.test("convTranspose3d: forward and gradients by finite differences", async () => {
  for (const variant of VARIANTS) {
    await withVariant(variant, async () => {
      for (const [i, c] of GRAD_CASES.entries()) {
        const stride = c.stride ?? c.k;
        await checkOp({
          label: `${variant} ${label(c)}`,
          shapes: [c.x, [...c.k, c.x[4], c.cout], [c.cout]],
          run: ([x, w, b]) =>
            convTranspose3d(x, w, b, { stride: stride as [number, number, number] }),
          reference: ([x, w, b]) => RC.convTranspose3d(x, w, b, stride),
          seed: 500 + i,
          rtol: 1e-4,
          atol: 1e-4,
          gradRtol: 2e-3,
          gradAtol: 2e-3,
        });
      }
    });
  }
});

const LARGE_CASES: Case[] = [
  { x: [2, 3, 5, 7, 16], k: [2, 2, 2], cout: 40 },
  { x: [2, 2, 4, 9, 24], k: [1, 2, 2], cout: 8 },
];

/** Forward and all three gradients of one case against the float64 chain rule. */
async function checkChainRule(c: Case, seed: number, name: string): Promise<void> {
  const before = memoryStats().liveBuffers;
  const stride = c.stride ?? c.k;
  const x = randomPair(c.x, seed);
  const w = randomPair([...c.k, c.x[4], c.cout], seed + 10);
  const b = randomPair([c.cout], seed + 20);
  for (const t of [x.gpu, w.gpu, b.gpu]) t.requiresGrad = true;
  const yRef = RC.convTranspose3d(x.ref, w.ref, b.ref, stride);
  const gyHost = randomValues(yRef.data.length, seed + 30);
  const { y, loss } = scope(() => {
    const y = convTranspose3d(x.gpu, w.gpu, b.gpu, { stride: stride as [number, number, number] });
    return { y, loss: sum(mul(y, Tensor.from(gyHost, y.shape))) };
  });
  assertShape(y.shape, [c.x[0], ...c.x.slice(1, 4).map((s, d) => s * stride[d]), c.cout]);
  const tol = { rtol: 1e-3, atol: 1e-3 };
  assertClose(await y.read(), yRef.data, { ...tol, label: `${name} y` });
  backward(loss);
  const gy = { shape: yRef.shape, data: gyHost };
  const ref = RC.convTranspose3dBackward(x.ref, w.ref, gy, stride);
  assertClose(await x.gpu.grad!.read(), ref.gx.data, { ...tol, label: `${name} gx` });
  assertClose(await w.gpu.grad!.read(), ref.gw.data, { ...tol, label: `${name} gw` });
  assertClose(await b.gpu.grad!.read(), ref.gb.data, { ...tol, label: `${name} gb` });
  for (const t of [x.gpu, w.gpu, b.gpu, y, loss]) t.dispose();
  if (memoryStats().liveBuffers !== before) throw new Error(`${name}: leaked buffers`);
}

Deno.test("convTranspose3d on larger shapes vs float64 chain rule", async () => {
  for (const variant of VARIANTS) {
    await withVariant(variant, async () => {
      for (const [i, c] of LARGE_CASES.entries()) {
        await checkChainRule(c, 600 + i, `${variant} ${label(c)}`);
      }
    });
  }
});

Deno.test("convTranspose3d weight converters match PyTorch's (Cin, Cout, kD, kH, kW)", async () => {
  const torchW = randomPair([3, 5, 2, 1, 2], 701);
  const ours = transposedWeightFromTorchLayout(torchW.gpu);
  assertShape(ours.shape, [2, 1, 2, 3, 5]);
  const expected = R.permute(torchW.ref, [2, 3, 4, 0, 1]);
  assertClose(await ours.read(), expected.data, { label: "from" });
  const back = transposedWeightToTorchLayout(ours);
  assertShape(back.shape, [3, 5, 2, 1, 2]);
  assertClose(await back.read(), torchW.ref.data, { label: "round trip" });
  // PyTorch's definition: y[n, co, i·s + k] += x[n, ci, i] · w[ci, co, k].
  const x = randomPair([1, 2, 3, 4, 3], 702);
  const y = convTranspose3d(x.gpu, ours);
  const want = new Float64Array(y.size);
  const [, , hh, ww] = y.shape;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      for (let l = 0; l < 4; l++) {
        for (let ci = 0; ci < 3; ci++) {
          for (let co = 0; co < 5; co++) {
            for (let a = 0; a < 2; a++) {
              for (let e = 0; e < 2; e++) {
                const xv = x.ref.data[((i * 3 + j) * 4 + l) * 3 + ci];
                const wv = torchW.ref.data[((ci * 5 + co) * 2 + a) * 2 + e];
                want[(((i * 2 + a) * hh + j) * ww + l * 2 + e) * 5 + co] += xv * wv;
              }
            }
          }
        }
      }
    }
  }
  assertClose(await y.read(), want, { rtol: 1e-5, atol: 1e-5, label: "PyTorch definition" });
  for (const t of [torchW.gpu, ours, back, x.gpu, y]) t.dispose();
});

Deno.test("convTranspose3d rejects mismatched channels", () => {
  const x = Tensor.from(new Float32Array(2 * 8 * 4), [2, 2, 2, 2, 4]);
  const w = Tensor.from(new Float32Array(8 * 3 * 4), [2, 2, 2, 3, 4]);
  let message = "";
  try {
    convTranspose3d(x, w);
  } catch (e) {
    message = (e as Error).message;
  }
  if (!/transposedWeightFromTorchLayout/.test(message)) throw new Error(`got "${message}"`);
  for (const t of [x, w]) t.dispose();
});

Deno.test("convTranspose3d and its gradients split volumes larger than one storage binding", async () => {
  // 16 KiB bindings (4096 floats): the inputs and upsampled outputs are larger.
  const cases: Case[] = [
    { x: [2, 5, 8, 9, 12], k: [2, 2, 2], cout: 6 },
    { x: [1, 9, 7, 8, 9], k: [1, 2, 2], cout: 5 },
  ];
  overrideLimit("maxStorageBufferBindingSize", 16384);
  try {
    for (const [i, c] of cases.entries()) await checkChainRule(c, 540 + i, `split ${label(c)}`);
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
});
