import assert from "node:assert/strict";
import { AvgPool3d, MaxPool3d, Upsample } from "../../layers/pooling.ts";
import { assertClose, randomPair, setupGpu } from "../helpers.ts";
import { pool3d } from "../reference/pooling.ts";
import { resize3d } from "../reference/resize.ts";

await setupGpu();

Deno.test("MaxPool3d, AvgPool3d and Upsample layers match the references", async () => {
  const { ref: x, gpu } = randomPair([1, 4, 5, 3, 2], 1);
  const params = {
    kernel: [2, 2, 1] as [number, number, number],
    stride: [2, 2, 1] as [number, number, number],
    padding: [0, 1, 0] as [number, number, number],
  };
  const max = new MaxPool3d({ kernelSize: [2, 2, 1], padding: [0, 1, 0] });
  const avg = new AvgPool3d({ kernelSize: [2, 2, 1], stride: [2, 2, 1], padding: [0, 1, 0] });
  const ym = max.forward(gpu);
  const ya = avg.forward(gpu);
  assertClose(await ym.read(), pool3d(x, params, "max").data, { label: "max" });
  assertClose(await ya.read(), pool3d(x, params, "avg").data, {
    rtol: 1e-5,
    atol: 1e-6,
    label: "avg",
  });
  const up = new Upsample({ scaleFactor: 2, mode: "trilinear" });
  const yu = up.forward(gpu);
  assert.deepEqual(yu.shape, [1, 8, 10, 6, 2]);
  assertClose(await yu.read(), resize3d(x, [8, 10, 6], "trilinear").data, {
    rtol: 1e-5,
    atol: 1e-5,
    label: "up",
  });
  assert.throws(() => new Upsample({}), /exactly one of size and scaleFactor/);
  for (const t of [gpu, ym, ya, yu]) t.dispose();
});
