import { deepEqual, throws } from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import { resize3d } from "../../../core/ops/resize.ts";
import { resize3d as referenceResize } from "../../reference/resize.ts";
import { checkOp } from "../op_check.ts";
import { seededRandom, setupGpu } from "../../helpers.ts";

await setupGpu();

type Size = [number, number, number];

// Forward on (2, 5, 6, 7, 3); gradients by finite differences on a smaller volume.
const sizes: Array<{ label: string; size: Size; small: Size }> = [
  { label: "up", size: [9, 11, 13], small: [5, 7, 9] },
  { label: "down", size: [3, 4, 3], small: [2, 3, 2] },
  { label: "mixed", size: [10, 6, 4], small: [6, 4, 3] },
  { label: "to one", size: [1, 6, 2], small: [1, 4, 2] },
  { label: "x2", size: [10, 12, 14], small: [6, 8, 10] },
];

async function checkResize(
  label: string,
  sizes: { size: Size; small: Size },
  mode: "nearest" | "trilinear",
  alignCorners: boolean,
  seed: number,
): Promise<void> {
  const options = { mode, alignCorners };
  await checkOp({
    label: `${label} forward`,
    shapes: [[2, 5, 6, 7, 3]],
    run: ([x]) => resize3d(x, sizes.size, options),
    reference: ([x]) => referenceResize(x, sizes.size, mode, alignCorners),
    seed,
    grad: false,
  });
  await checkOp({
    label: `${label} gradient`,
    shapes: [[1, 3, 4, 5, 2]],
    run: ([x]) => resize3d(x, sizes.small, options),
    reference: ([x]) => referenceResize(x, sizes.small, mode, alignCorners),
    seed: seed + 100,
  });
}

Deno.test("resize3d trilinear up/down, both alignCorners, vs float64 with gradients", async () => {
  for (const alignCorners of [false, true]) {
    for (const [i, target] of sizes.entries()) {
      const label = `trilinear ${target.label} align ${alignCorners}`;
      await checkResize(label, target, "trilinear", alignCorners, 41 + i);
    }
  }
});

Deno.test("resize3d nearest up/down vs float64 with gradients", async () => {
  for (const [i, target] of sizes.entries()) {
    await checkResize(`nearest ${target.label}`, target, "nearest", false, 51 + i);
  }
});

Deno.test("resize3d nearest resizes i32 label maps exactly", async () => {
  const before = memoryStats().liveBuffers;
  const random = seededRandom(5);
  const shape = [2, 5, 6, 7, 1];
  const labels = Int32Array.from({ length: 2 * 5 * 6 * 7 }, () => Math.floor(random() * 4));
  const x = Tensor.from(labels, shape, "i32");
  for (const size of [[9, 4, 13], [3, 12, 7]] as Array<[number, number, number]>) {
    const y = resize3d(x, size, { mode: "nearest" });
    const expected = referenceResize({ shape, data: Float64Array.from(labels) }, size, "nearest");
    deepEqual(y.dtype, "i32");
    deepEqual([...(await y.read())], [...expected.data]);
    y.dispose();
  }
  x.dispose();
  deepEqual(memoryStats().liveBuffers, before);
});

Deno.test("resize3d rejects bad arguments", () => {
  const x = Tensor.from(new Int32Array(8), [1, 2, 2, 2, 1], "i32");
  throws(() => resize3d(x, [4, 4, 4], { mode: "trilinear" }), /f32/);
  throws(() => resize3d(x, [4, 0, 4], { mode: "nearest" }), /size/);
  const y = Tensor.from(new Float32Array(8), [2, 2, 2]);
  throws(() => resize3d(y, [4, 4, 4]), /\(N, D, H, W, C\)/);
  x.dispose();
  y.dispose();
});
