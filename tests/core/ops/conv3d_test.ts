import { strict as assert } from "node:assert";
import {
  backward,
  gpu,
  memoryStats,
  mul,
  overrideLimit,
  reshape,
  scope,
  sum,
  Tensor,
} from "../../../core/mod.ts";
import {
  conv3d,
  type Conv3dOptions,
  overrideConvKernels,
  weightFromTorchLayout,
  weightToTorchLayout,
} from "../../../core/ops/conv3d.ts";
import type { ConvVariant } from "../../../shaders/conv3d.ts";
import * as RC from "../../reference/conv.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { assertClose, assertShape, randomPair, randomValues, setupGpu } from "../../helpers.ts";

await setupGpu();

/** Kernel families to test: the adapter's own, and the portable fallback everywhere. */
const VARIANTS: ConvVariant[] = gpu().subgroupSize === 8 ? ["subgroup", "portable"] : ["portable"];

function asTriple(v: number | readonly number[] | undefined, fallback: number): number[] {
  if (v === undefined) return [fallback, fallback, fallback];
  return typeof v === "number" ? [v, v, v] : [...v];
}

function refOptions(o: Conv3dOptions): RC.ConvRefOptions {
  return {
    stride: asTriple(o.stride, 1),
    padding: asTriple(o.padding, 0),
    dilation: asTriple(o.dilation, 1),
  };
}

async function withVariant(variant: ConvVariant, fn: () => Promise<void>): Promise<void> {
  overrideConvKernels(variant);
  try {
    await fn();
  } finally {
    overrideConvKernels(undefined);
  }
}

interface ConvCase {
  x: number[];
  k: number[];
  cout: number;
  o: Conv3dOptions;
}

const label = (c: ConvCase) => `x[${c.x}] k[${c.k}] cout ${c.cout} ${JSON.stringify(c.o)}`;

// Every kernel size, stride, padding and dilation the layers use, odd sizes and channel
// counts that are not multiples of 4 (1, 3, 5, 13), both kernel shapes (few output
// channels: lanes own voxels; many: lanes own channels), partial tiles in W and channels.
const FORWARD_CASES: ConvCase[] = [
  { x: [2, 5, 6, 7, 3], k: [3, 3, 3], cout: 5, o: { padding: 1 } },
  { x: [2, 5, 6, 7, 1], k: [3, 3, 3], cout: 32, o: { padding: 1 } },
  { x: [2, 5, 6, 7, 5], k: [1, 3, 3], cout: 13, o: { padding: [0, 1, 1] } },
  { x: [2, 5, 6, 7, 3], k: [3, 3, 3], cout: 40, o: { stride: 2, padding: 1 } },
  { x: [2, 5, 6, 7, 4], k: [1, 3, 3], cout: 8, o: { stride: [1, 2, 2], padding: [0, 1, 1] } },
  { x: [2, 5, 6, 7, 3], k: [5, 5, 5], cout: 3, o: { padding: 2 } },
  { x: [2, 7, 6, 9, 2], k: [7, 7, 7], cout: 6, o: { padding: 3 } },
  { x: [2, 5, 6, 7, 3], k: [3, 3, 3], cout: 4, o: { dilation: 2, padding: 2 } },
  { x: [2, 5, 6, 7, 6], k: [1, 1, 1], cout: 20, o: {} },
  {
    x: [2, 5, 6, 19, 3],
    k: [3, 3, 3],
    cout: 9,
    o: { stride: [2, 1, 3], padding: [1, 0, 2], dilation: [1, 2, 1] },
  },
  { x: [1, 3, 4, 37, 8], k: [3, 3, 3], cout: 36, o: { padding: 1 } },
  { x: [2, 5, 6, 7, 5], k: [2, 3, 3], cout: 1, o: { stride: 2 } },
];

Deno.test("conv3d forward: kernels 1/3/5/7, strides, padding, dilation, odd channels vs float64", async () => {
  for (const variant of VARIANTS) {
    await withVariant(variant, async () => {
      for (const [i, c] of FORWARD_CASES.entries()) {
        const before = memoryStats().liveBuffers;
        const x = randomPair(c.x, 10 + i);
        const w = randomPair([...c.k, c.x[4], c.cout], 40 + i);
        const b = randomPair([c.cout], 70 + i);
        const y = conv3d(x.gpu, w.gpu, b.gpu, c.o);
        const expected = RC.conv3d(x.ref, w.ref, b.ref, refOptions(c.o));
        assertShape(y.shape, expected.shape);
        assertClose(await y.read(), expected.data, {
          rtol: 1e-4,
          atol: 1e-4,
          label: `${variant} ${label(c)}`,
        });
        for (const t of [x.gpu, w.gpu, b.gpu, y]) t.dispose();
        if (memoryStats().liveBuffers !== before) throw new Error(`${label(c)}: leaked buffers`);
      }
    });
  }
});

// Small enough for central finite differences of the float64 reference.
const GRAD_CASES: ConvCase[] = [
  { x: [2, 3, 4, 5, 3], k: [3, 3, 3], cout: 5, o: { padding: 1 } },
  { x: [2, 3, 4, 5, 2], k: [3, 3, 3], cout: 9, o: { stride: 2, padding: 1 } },
  { x: [1, 3, 5, 6, 5], k: [1, 3, 3], cout: 3, o: { stride: [1, 2, 2], padding: [0, 1, 1] } },
  { x: [2, 3, 4, 5, 1], k: [3, 3, 3], cout: 4, o: { dilation: 2, padding: 2 } },
  { x: [1, 4, 5, 5, 12], k: [3, 3, 3], cout: 2, o: { stride: [2, 1, 2], padding: [1, 0, 1] } },
  { x: [1, 3, 3, 6, 2], k: [5, 5, 5], cout: 2, o: { padding: 2 } },
  // 7×7×7 with padding 3 on a volume smaller than the kernel: most taps land in padding.
  { x: [2, 3, 3, 5, 2], k: [7, 7, 7], cout: 3, o: { padding: 3 } },
  // Stride > kernel: input voxels between strides get no taps, so their gradient is 0 and
  // some phase groups of the input-gradient kernel are empty.
  { x: [2, 5, 5, 7, 3], k: [1, 1, 1], cout: 5, o: { stride: 2 } },
  // Stride = kernel, no padding (the non-overlapping downsampling conv); odd sizes leave
  // a trailing input row untouched.
  { x: [2, 5, 5, 7, 3], k: [2, 2, 2], cout: 6, o: { stride: 2 } },
  // One output channel.
  { x: [2, 3, 4, 5, 3], k: [3, 3, 3], cout: 1, o: { padding: 1 } },
  { x: [2, 5, 5, 7, 2], k: [5, 5, 5], cout: 3, o: { stride: 2, padding: 2 } },
  // Anisotropic kernel and dilation; the depth dilation of a 1-tap axis must be a no-op.
  { x: [2, 3, 7, 6, 3], k: [1, 3, 3], cout: 5, o: { dilation: [3, 2, 1], padding: [0, 2, 1] } },
  // Depth 1: the 2-D convolution path (Conv2d), strided in H and W, dilated in H.
  {
    x: [2, 1, 7, 9, 3],
    k: [1, 3, 3],
    cout: 5,
    o: { stride: [1, 2, 2], padding: [0, 1, 1], dilation: [1, 2, 1] },
  },
];

Deno.test("conv3d backward: input, weight and bias gradients by finite differences", async () => {
  for (const variant of VARIANTS) {
    await withVariant(variant, async () => {
      for (const [i, c] of GRAD_CASES.entries()) {
        await checkOp({
          label: `${variant} ${label(c)}`,
          shapes: [c.x, [...c.k, c.x[4], c.cout], [c.cout]],
          run: ([x, w, b]) => conv3d(x, w, b, c.o),
          reference: ([x, w, b]) => RC.conv3d(x, w, b, refOptions(c.o)),
          seed: 100 + i,
          rtol: 1e-4,
          atol: 1e-4,
          gradRtol: 2e-3,
          gradAtol: 2e-3,
        });
      }
    });
  }
});

// Larger shapes against the chain-rule reference: several W blocks, channel blocks and
// weight-gradient chunks, both kernel shapes for the input gradient.
const LARGE_GRAD_CASES: ConvCase[] = [
  { x: [2, 4, 5, 37, 12], k: [3, 3, 3], cout: 40, o: { padding: 1 } },
  { x: [2, 5, 6, 21, 16], k: [3, 3, 3], cout: 20, o: { stride: 2, padding: 1 } },
  { x: [1, 3, 9, 33, 1], k: [1, 3, 3], cout: 32, o: { padding: [0, 1, 1], dilation: [1, 2, 1] } },
];

/** Forward and all three gradients of one case against the float64 chain rule. */
async function checkChainRule(c: ConvCase, seed: number, name: string): Promise<void> {
  const before = memoryStats().liveBuffers;
  const x = randomPair(c.x, seed);
  const w = randomPair([...c.k, c.x[4], c.cout], seed + 10);
  const b = randomPair([c.cout], seed + 20);
  for (const t of [x.gpu, w.gpu, b.gpu]) t.requiresGrad = true;
  const opts = refOptions(c.o);
  const yRef = RC.conv3d(x.ref, w.ref, b.ref, opts);
  const gyHost = randomValues(yRef.data.length, seed + 30);
  const { y, loss } = scope(() => {
    const y = conv3d(x.gpu, w.gpu, b.gpu, c.o);
    return { y, loss: sum(mul(y, Tensor.from(gyHost, y.shape))) };
  });
  backward(loss);
  const ref = RC.conv3dBackward(x.ref, w.ref, { shape: yRef.shape, data: gyHost }, opts);
  const tol = { rtol: 1e-3, atol: 1e-3 };
  assertClose(await y.read(), yRef.data, { ...tol, label: `${name} y` });
  assertClose(await x.gpu.grad!.read(), ref.gx.data, { ...tol, label: `${name} gx` });
  assertClose(await w.gpu.grad!.read(), ref.gw.data, { ...tol, label: `${name} gw` });
  assertClose(await b.gpu.grad!.read(), ref.gb.data, { ...tol, label: `${name} gb` });
  for (const t of [x.gpu, w.gpu, b.gpu, y, loss]) t.dispose();
  if (memoryStats().liveBuffers !== before) throw new Error(`${name}: leaked buffers`);
}

Deno.test("conv3d backward on larger shapes vs float64 chain rule", async () => {
  for (const variant of VARIANTS) {
    await withVariant(variant, async () => {
      for (const [i, c] of LARGE_GRAD_CASES.entries()) {
        await checkChainRule(c, 200 + i, `${variant} ${label(c)}`);
      }
    });
  }
});

Deno.test("conv3d with few output channels: 1×1×1 head, and the fallback when the tap split is too big", async () => {
  // A segmentation head (1×1×1, 3 classes) and a 3×3×3 conv to 2 channels whose tap-split
  // buffer (voxels × taps × cout) is made to exceed a shrunken binding limit, so both run
  // on the kernel where lanes own voxels.
  const cases: ConvCase[] = [
    { x: [2, 3, 4, 5, 6], k: [1, 1, 1], cout: 3, o: {} },
    { x: [1, 4, 5, 6, 3], k: [3, 3, 3], cout: 2, o: { padding: 1 } },
  ];
  // 16 KiB holds every tensor of these cases but not the 26 KiB tap-split buffer.
  overrideLimit("maxStorageBufferBindingSize", 16384);
  try {
    for (const [i, c] of cases.entries()) {
      await checkOp({
        label: `narrow ${label(c)}`,
        shapes: [c.x, [...c.k, c.x[4], c.cout], [c.cout]],
        run: ([x, w, b]) => conv3d(x, w, b, c.o),
        reference: ([x, w, b]) => RC.conv3d(x, w, b, refOptions(c.o)),
        seed: 150 + i,
        rtol: 1e-4,
        atol: 1e-4,
        gradRtol: 2e-3,
        gradAtol: 2e-3,
      });
    }
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
});

Deno.test("conv3d with D = 1 and kD = 1 is a 2-D convolution", async () => {
  const x = randomPair([2, 9, 11, 3], 301);
  const w = randomPair([3, 3, 3, 6], 302);
  const b = randomPair([6], 303);
  for (const [stride, padding] of [[[1, 1], [1, 1]], [[2, 1], [0, 2]]]) {
    const x5 = reshape(x.gpu, [2, 1, 9, 11, 3]);
    const w5 = reshape(w.gpu, [1, 3, 3, 3, 6]);
    const y = conv3d(x5, w5, b.gpu, {
      stride: [1, stride[0], stride[1]],
      padding: [0, padding[0], padding[1]],
    });
    const expected = RC.conv2d(x.ref, w.ref, b.ref, stride, padding);
    assertShape(y.shape, [2, 1, ...expected.shape.slice(1)]);
    assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-4, label: "conv2d" });
    for (const t of [x5, w5, y]) t.dispose();
  }
  for (const t of [x.gpu, w.gpu, b.gpu]) t.dispose();
});

Deno.test("conv3d weight layout converters match PyTorch's (O, I, kD, kH, kW)", async () => {
  const torchW = randomPair([5, 3, 2, 3, 4], 401);
  const ours = weightFromTorchLayout(torchW.gpu);
  assertShape(ours.shape, [2, 3, 4, 3, 5]);
  assertClose(await ours.read(), R.permute(torchW.ref, [2, 3, 4, 1, 0]).data, { label: "from" });
  const back = weightToTorchLayout(ours);
  assertShape(back.shape, [5, 3, 2, 3, 4]);
  assertClose(await back.read(), torchW.ref.data, { label: "round trip" });
  // A PyTorch-layout weight, converted, gives PyTorch's Conv3d (cross-correlation) result.
  const x = randomPair([1, 4, 5, 6, 3], 402);
  const y = conv3d(x.gpu, ours, undefined, { padding: 1 });
  const expected = RC.conv3d(x.ref, R.permute(torchW.ref, [2, 3, 4, 1, 0]), undefined, {
    padding: [1, 1, 1],
  });
  assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-4, label: "converted" });
  for (const t of [torchW.gpu, ours, back, x.gpu, y]) t.dispose();
});

Deno.test("conv3d rejects mismatched shapes with messages that say what to do", () => {
  const x = Tensor.from(new Float32Array(2 * 4 * 4 * 4 * 5), [2, 4, 4, 4, 5]);
  const w = Tensor.from(new Float32Array(27 * 5 * 8), [3, 3, 3, 5, 8]);
  const wrong = Tensor.from(new Float32Array(8 * 5 * 27), [8, 5, 3, 3, 3]);
  const expectThrow = (fn: () => unknown, pattern: RegExp) => {
    try {
      fn();
    } catch (e) {
      if (!pattern.test((e as Error).message)) throw e;
      return;
    }
    throw new Error(`expected an error matching ${pattern}`);
  };
  scope(() => {
    expectThrow(() => conv3d(x, wrong), /weightFromTorchLayout/);
    expectThrow(() => conv3d(reshape(x, [8, 4, 4, 5]), w), /\(N, D, H, W, Cin\)/);
    expectThrow(() => conv3d(x, w, Tensor.from([1, 2], [2])), /bias/);
    expectThrow(() => conv3d(x, w, undefined, { stride: 0 }), /stride/);
    expectThrow(() => conv3d(x, w, undefined, { dilation: 3 }), /does not fit/);
  });
  for (const t of [x, w, wrong]) t.dispose();
});

Deno.test("conv3d and its gradients split volumes larger than one storage binding into slabs", async () => {
  // 16 KiB bindings (4096 floats) hold the weights but no activation below, so the
  // forward pass, the input, weight and bias gradients and the loss all run slab by slab;
  // odd depths leave a short last slab, and the last case takes the few-channel path.
  const cases: ConvCase[] = [
    { x: [2, 9, 8, 10, 3], k: [3, 3, 3], cout: 4, o: { padding: 1 } },
    { x: [1, 13, 11, 10, 3], k: [3, 3, 3], cout: 6, o: { stride: 2, padding: [1, 0, 1] } },
    { x: [1, 17, 9, 9, 4], k: [3, 1, 3], cout: 7, o: { dilation: [2, 1, 1], padding: [2, 0, 1] } },
    { x: [1, 15, 10, 10, 3], k: [3, 3, 3], cout: 2, o: { padding: 1 } },
  ];
  overrideLimit("maxStorageBufferBindingSize", 16384);
  try {
    for (const [i, c] of cases.entries()) {
      assert.ok(c.x.reduce((a, b) => a * b) > 4096, `${label(c)} must exceed the limit`);
      await checkChainRule(c, 170 + i, `split ${label(c)}`);
    }
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
});

Deno.test("conv3d names the limit when one depth plane cannot fit a binding", () => {
  // One input plane holds 32·32·4 floats: three of them (a 3-tap slab) exceed 16 KiB.
  const x = Tensor.from(new Float32Array(2 * 3 * 32 * 32 * 4), [2, 3, 32, 32, 4]);
  const w = Tensor.from(new Float32Array(3 * 3 * 3 * 4 * 2), [3, 3, 3, 4, 2]);
  overrideLimit("maxStorageBufferBindingSize", 16384);
  try {
    assert.throws(
      () => conv3d(x, w, undefined, { padding: 1 }),
      /depth plane .* storage binding limit/,
    );
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  x.dispose();
  w.dispose();
});
