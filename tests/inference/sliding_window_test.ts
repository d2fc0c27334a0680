import { strict as assert } from "node:assert";
import {
  add,
  concat,
  conv3d,
  memoryStats,
  mul,
  overrideLimit,
  reshape,
  scope,
  slice,
  sub,
  Tensor,
} from "../../core/mod.ts";
import {
  gaussianImportanceMap,
  slidingWindowPredict,
  windowGrid,
  windowStarts,
} from "../../inference/mod.ts";
import { assertClose, randomValues, setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("window starts cover the axis evenly with at least the requested overlap", () => {
  assert.deepEqual(windowStarts(100, 64, 0.5), [0, 18, 36]);
  assert.deepEqual(windowStarts(64, 64, 0.5), [0]);
  assert.deepEqual(windowStarts(30, 64, 0.5), [0]);
  for (const [size, patch, step] of [[97, 32, 0.5], [200, 48, 0.25], [33, 32, 1]]) {
    const starts = windowStarts(size, patch, step);
    assert.equal(starts[0], 0);
    assert.equal(starts[starts.length - 1], size - patch);
    for (let i = 1; i < starts.length; i++) {
      assert.ok(starts[i] - starts[i - 1] <= patch * step + 0.5, "step too large");
    }
  }
  assert.equal(windowGrid([100, 64, 30], [64, 64, 64], 0.5).length, 3);
  assert.throws(() => windowStarts(10, 4, 0), /step fraction/);
});

Deno.test("the importance map is a normalised Gaussian with no zeros", () => {
  const map = gaussianImportanceMap([5, 8, 9]);
  assert.equal(map.length, 5 * 8 * 9);
  const max = Math.max(...map);
  assert.ok(Math.abs(max - 1) < 1e-6 || max < 1);
  assert.ok(Math.min(...map) > 0);
  // symmetric about the centre along W
  const row = (z: number, y: number) => Array.from(map.slice((z * 8 + y) * 9, (z * 8 + y + 1) * 9));
  const r = row(2, 3);
  for (let x = 0; x < 9; x++) assert.ok(Math.abs(r[x] - r[8 - x]) < 1e-7);
  // ratio between neighbours follows σ = extent / 8
  const sigma = 9 / 8;
  const expected = Math.exp(-(1 / (2 * sigma * sigma)) * ((3 - 4) ** 2 - 0));
  assert.ok(Math.abs(r[3] / r[4] - expected) < 1e-5);
});

/** A position-independent network: per voxel logits = [x0 + 2·x1, x0 − x1, 3]. */
function pointwise(batch: Tensor): Tensor {
  const channel = (c: number) =>
    slice(batch, [undefined, undefined, undefined, undefined, { start: c, stop: c + 1 }]);
  const x0 = channel(0);
  const x1 = channel(1);
  return concat([add(x0, mul(x1, 2)), sub(x0, x1), add(mul(x0, 0), 3)], 4);
}

Deno.test("sliding window of a position-independent network equals the network on the whole image", async () => {
  for (
    const [shape, patch, mirror] of [
      [[9, 10, 11, 2], [4, 6, 5], [] as number[]],
      [[5, 7, 6, 2], [8, 4, 4], [0, 2]],
    ] as const
  ) {
    const start = memoryStats().liveBuffers;
    const data = randomValues(shape.reduce((a, b) => a * b, 1), 3);
    const image = Tensor.from(data, [...shape]);
    const logits = slidingWindowPredict(pointwise, image, {
      patchSize: [...patch] as [number, number, number],
      mirrorAxes: [...mirror],
      batchSize: 3,
    });
    const whole = scope(() =>
      reshape(pointwise(reshape(image, [1, ...shape])), [...shape.slice(0, 3), 3])
    );
    assert.deepEqual(logits.shape, [...shape.slice(0, 3), 3]);
    assertClose(await logits.read(), await whole.read(), {
      rtol: 1e-5,
      atol: 1e-5,
      label: "logits",
    });
    for (const t of [image, logits, whole]) t.dispose();
    assert.equal(memoryStats().liveBuffers, start, "no buffers leaked");
  }
});

Deno.test("volumes larger than one storage binding are cropped and accumulated in depth bands", async () => {
  // A 3×3×3 convolution makes every window's output depend on its position, so the split
  // run must reproduce the unsplit one window by window. With 4 KiB bindings (1024 floats)
  // the image (2 channels) and the accumulators (3 classes) span several bands, and the
  // second case pads an axis smaller than the patch.
  const w = Tensor.from(randomValues(27 * 2 * 3, 41), [3, 3, 3, 2, 3]);
  const net = (batch: Tensor) => conv3d(batch, w, undefined, { padding: 1 });
  for (
    const [shape, patch, mirror] of [
      [[13, 9, 10, 2], [5, 6, 4], [1] as number[]],
      [[11, 3, 14, 2], [4, 5, 6], [] as number[]],
    ] as const
  ) {
    const start = memoryStats().liveBuffers;
    const image = Tensor.from(randomValues(shape.reduce((a, b) => a * b, 1), 5), [...shape]);
    const options = {
      patchSize: [...patch] as [number, number, number],
      mirrorAxes: [...mirror],
      batchSize: 2,
    };
    const whole = slidingWindowPredict(net, image, options);
    overrideLimit("maxStorageBufferBindingSize", 4096);
    let split: Tensor;
    try {
      split = slidingWindowPredict(net, image, options);
    } finally {
      overrideLimit("maxStorageBufferBindingSize", undefined);
    }
    assert.deepEqual(split.shape, [...shape.slice(0, 3), 3]);
    assertClose(await split.read(), await whole.read(), {
      rtol: 1e-5,
      atol: 1e-5,
      label: `banded [${shape}]`,
    });
    for (const t of [image, whole, split]) t.dispose();
    assert.equal(memoryStats().liveBuffers, start, "no buffers leaked");
  }
  w.dispose();
});
