import { throws as assertThrows } from "node:assert/strict";
import { backward, memoryStats, sum, Tensor } from "../../../core/mod.ts";
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
