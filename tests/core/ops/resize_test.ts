import { deepEqual, throws } from "node:assert/strict";
import { BindingLimitError, memoryStats, overrideLimit, Tensor } from "../../../core/mod.ts";
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

// 4 KiB bindings (1024 floats). From (2, 5, 6, 7, 3) (630 floats a sample): upsizing
// makes one sample's depth line block (9 · 126 floats) exceed a binding, so the depth pass
// splits into columns; the other passes split into rows, downsizing splits into samples.
// Unsplit, these throw BindingLimitError, so passing means the split paths ran.
const SPLIT_LIMIT = 4096;
const splitSizes: Array<{ label: string; size: Size }> = [
  { label: "up", size: [9, 11, 13] },
  { label: "down", size: [3, 4, 3] },
  { label: "mixed", size: [10, 6, 4] },
];

Deno.test("resize3d splits rows and columns under a small binding limit, vs float64 with gradients", async () => {
  overrideLimit("maxStorageBufferBindingSize", SPLIT_LIMIT);
  try {
    let seed = 71;
    for (const mode of ["trilinear", "nearest"] as const) {
      for (const alignCorners of mode === "trilinear" ? [false, true] : [false]) {
        for (const { label, size } of splitSizes) {
          await checkOp({
            label: `split ${mode} ${label} align ${alignCorners}`,
            shapes: [[2, 5, 6, 7, 3]],
            run: ([x]) => resize3d(x, size, { mode, alignCorners }),
            reference: ([x]) => referenceResize(x, size, mode, alignCorners),
            seed: seed++,
          });
        }
      }
    }
    // i32 label maps through the split nearest passes stay exact.
    const random = seededRandom(6);
    const shape = [2, 5, 6, 7, 3];
    const labels = Int32Array.from({ length: 2 * 5 * 6 * 7 * 3 }, () => Math.floor(random() * 4));
    const x = Tensor.from(labels, shape, "i32");
    const y = resize3d(x, [9, 4, 13], { mode: "nearest" });
    const expected = referenceResize(
      { shape, data: Float64Array.from(labels) },
      [9, 4, 13],
      "nearest",
    );
    deepEqual([...(await y.read())], [...expected.data]);
    x.dispose();
    y.dispose();
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
});

Deno.test("resize3d names the limit when one line along an axis cannot fit a binding", () => {
  const x = Tensor.from(new Float32Array(2 * 2 * 3), [1, 2, 1, 2, 3]);
  overrideLimit("maxStorageBufferBindingSize", SPLIT_LIMIT);
  try {
    // 1100 output positions along depth exceed the 1024 floats of a binding.
    throws(
      () => resize3d(x, [1100, 1, 2]),
      (e: unknown) =>
        e instanceof BindingLimitError &&
        /^resize3d: resampling an axis of 2 to 1100 .*limit \(4096 bytes\)/.test(e.message),
    );
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  x.dispose();
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
