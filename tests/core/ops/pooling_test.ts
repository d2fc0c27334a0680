import { throws as assertThrows } from "node:assert/strict";
import {
  backward,
  BindingLimitError,
  memoryStats,
  overrideLimit,
  sum,
  Tensor,
} from "../../../core/mod.ts";
import { avgPool3d as avgPool, maxPool3d as maxPool } from "../../../core/ops/pooling.ts";
import { pool3d, type PoolParams } from "../../reference/pooling.ts";
import { checkOp } from "../op_check.ts";
import { assertClose, setupGpu } from "../../helpers.ts";

await setupGpu();

const cases: Array<{ label: string; params: PoolParams }> = [
  { label: "k2", params: { kernel: [2, 2, 2], stride: [2, 2, 2], padding: [0, 0, 0] } },
  { label: "k3 s2 p1", params: { kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1] } },
  { label: "k3 s1 p1", params: { kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1] } },
  {
    label: "anisotropic 1x2x2",
    params: { kernel: [1, 2, 2], stride: [1, 2, 2], padding: [0, 0, 0] },
  },
  { label: "k3 s2 no pad", params: { kernel: [3, 2, 3], stride: [2, 1, 2], padding: [1, 0, 0] } },
];

for (const kind of ["max", "avg"] as const) {
  Deno.test(`${kind}Pool3d: kernels, strides, padding vs float64 with gradients`, async () => {
    const op = kind === "max" ? maxPool : avgPool;
    for (const [i, { label, params }] of cases.entries()) {
      await checkOp({
        label: `${kind} ${label}`,
        shapes: [[2, 5, 6, 7, 3]],
        run: ([x]) => op(x, params.kernel, { stride: params.stride, padding: params.padding }),
        reference: ([x]) => pool3d(x, params, kind),
        seed: 31 + i,
      });
    }
  });
}

// 4 KiB bindings (1024 floats): a [3, 5, 6, 7, 3] volume (630 floats a sample) splits into
// samples; a [2, 11, 6, 7, 3] sample (1386 floats) splits along depth into runs of planes,
// with a short last run. Unsplit, these shapes throw BindingLimitError, so passing here means
// the split paths ran; outputs and gradients are checked against the float64 reference.
const SPLIT_LIMIT = 4096;
const splitCases: Array<{ label: string; shape: number[]; params: PoolParams }> = [
  { label: "batch k2", shape: [3, 5, 6, 7, 3], params: cases[0].params },
  { label: "batch k3 s2 p1", shape: [3, 5, 6, 7, 3], params: cases[1].params },
  { label: "depth k3 s2 p1", shape: [2, 11, 6, 7, 3], params: cases[1].params },
  { label: "depth k3 s1 p1", shape: [2, 11, 6, 7, 3], params: cases[2].params },
  { label: "depth k3x2x3 s2x1x2", shape: [2, 11, 6, 7, 3], params: cases[4].params },
  // Stride above the kernel leaves input planes no window covers (zero gradient).
  {
    label: "depth k1x2x2 s3x2x2",
    shape: [2, 11, 6, 7, 3],
    params: { kernel: [1, 2, 2], stride: [3, 2, 2], padding: [0, 0, 0] },
  },
];

for (const kind of ["max", "avg"] as const) {
  Deno.test(`${kind}Pool3d splits over samples and depth under a small binding limit`, async () => {
    const op = kind === "max" ? maxPool : avgPool;
    overrideLimit("maxStorageBufferBindingSize", SPLIT_LIMIT);
    try {
      for (const [i, { label, shape, params }] of splitCases.entries()) {
        if (shape.reduce((a, b) => a * b, 1) * 4 <= SPLIT_LIMIT) throw new Error("too small");
        await checkOp({
          label: `${kind} split ${label}`,
          shapes: [shape],
          run: ([x]) => op(x, params.kernel, { stride: params.stride, padding: params.padding }),
          reference: ([x]) => pool3d(x, params, kind),
          seed: 61 + i,
        });
      }
    } finally {
      overrideLimit("maxStorageBufferBindingSize", undefined);
    }
  });
}

Deno.test("pool3d names the op, shape and limit when one depth plane cannot fit", () => {
  // One plane of 32·32·4 floats is 16 KiB, four times the 4 KiB limit.
  const x = Tensor.from(new Float32Array(2 * 3 * 32 * 32 * 4), [2, 3, 32, 32, 4]);
  overrideLimit("maxStorageBufferBindingSize", SPLIT_LIMIT);
  try {
    for (const [name, op] of [["maxPool3d", maxPool], ["avgPool3d", avgPool]] as const) {
      assertThrows(
        () => op(x, 2),
        (e: unknown) =>
          e instanceof BindingLimitError &&
          new RegExp(`^${name}: input \\[2,3,32,32,4\\].*limit \\(4096 bytes\\)`).test(e.message),
      );
    }
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  x.dispose();
});

Deno.test("maxPool3d gives a tied window's gradient to its first maximum", async () => {
  const before = memoryStats().liveBuffers;
  const x = Tensor.from([1, 1, 1, 1, 1, 1, 1, 1], [1, 2, 2, 2, 1]);
  x.requiresGrad = true;
  const y = maxPool(x, 2);
  const loss = sum(y);
  backward(loss);
  assertClose(await x.grad!.read(), [1, 0, 0, 0, 0, 0, 0, 0]);
  for (const t of [x, y, loss]) t.dispose();
  if (memoryStats().liveBuffers !== before) throw new Error("leaked buffers");
});

Deno.test("pool3d rejects bad arguments with clear errors", () => {
  const x = Tensor.from(new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3]);
  assertThrows(() => maxPool(x, 2), /\(N, D, H, W, C\)/);
  x.dispose();
  const v = Tensor.from(new Float32Array(27), [1, 3, 3, 3, 1]);
  assertThrows(() => maxPool(v, 2, { padding: 2 }), /padding/);
  assertThrows(() => avgPool(v, 5), /does not fit/);
  assertThrows(() => avgPool(v, [1, 2] as unknown as [number, number, number]), /kernel/);
  v.dispose();
});
