import assert from "node:assert/strict";
import { centredBox, cropToNonzero, roiSizeFromExtents } from "../../../data/inspection/mod.ts";
import { cropVolume, uncropVolume } from "../../../data/preprocessing/mod.ts";
import { type Vec3, voxelToWorld } from "../../../data/geometry.ts";
import { boxLabel, testAffine, volumeOf } from "../datasets/synthetic.ts";

Deno.test("roi: cropToNonzero keeps world positions and is undone by uncropVolume", () => {
  const dims: Vec3 = [7, 6, 5];
  const affine = testAffine([0.8, 1.2, 2], true);
  const data = new Float32Array(7 * 6 * 5);
  for (let k = 1; k < 4; k++) {
    for (let j = 2; j < 5; j++) {
      for (let i = 1; i < 6; i++) data[(k * 6 + j) * 7 + i] = i + 10 * j + 100 * k;
    }
  }
  const image = volumeOf(data, dims, affine);
  const label = volumeOf(boxLabel(dims).data, dims, affine);
  const crop = cropToNonzero(image, label);
  assert.deepEqual(crop.box, { start: [1, 2, 1], end: [6, 5, 4] });
  assert.deepEqual(crop.image.dims, [5, 3, 3]);
  assert.equal(crop.image.data[0], 1 + 20 + 100);
  const world = voxelToWorld(crop.image.affine, [2, 1, 1]);
  const expected = voxelToWorld(affine, [3, 3, 2]);
  world.forEach((x, n) => assert.ok(Math.abs(x - expected[n]) < 1e-12));
  assert.equal(crop.label!.data[0], label.data[(1 * 6 + 2) * 7 + 1]);
  const restored = uncropVolume(crop.image, crop.box, dims, affine);
  assert.deepEqual(Array.from(restored.data), Array.from(data));
  assert.deepEqual(Array.from(restored.affine), Array.from(affine));
});

Deno.test("roi: boxes beyond the volume pad with the fill value", () => {
  const volume = volumeOf(Uint8Array.of(1, 2, 3, 4), [2, 2, 1]);
  const padded = cropVolume(volume, { start: [-1, 0, 0], end: [3, 1, 2] }, 9);
  assert.deepEqual(padded.dims, [4, 1, 2]);
  assert.deepEqual(Array.from(padded.data), [9, 1, 2, 9, 9, 9, 9, 9]);
  assert.ok(padded.data instanceof Uint8Array);
});

Deno.test("roi: dataset ROI size from foreground extents, centred per case", () => {
  const boxes = Array.from({ length: 20 }, (_, n) => ({
    start: [0, 0, 0] as Vec3,
    end: [10 + n, 5, n === 19 ? 40 : 8] as Vec3,
  }));
  // 95th percentile of 10..29 is 28.05 → 29; of eighteen 8s and one 40 → 8 + 32 * 0.05 → 10.
  assert.deepEqual(roiSizeFromExtents(boxes, 95), [29, 5, 10]);
  const box = centredBox({ start: [4, 0, 2], end: [8, 3, 4] }, [6, 5, 2]);
  assert.deepEqual(box, { start: [3, -1, 2], end: [9, 4, 4] });
});
