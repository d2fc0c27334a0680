import { strict as assert } from "node:assert";
import { planUNet } from "../../bundles/unet/planner.ts";

Deno.test("isotropic Hippocampus-like data: patch covers the median shape, strides of 2", () => {
  const plan = planUNet({ spacing: [1, 1, 1], shape: [36, 50, 35], inChannels: 1, classes: 3 });
  assert.deepEqual(plan.strides[0], [1, 1, 1]);
  const total = [0, 1, 2].map((a) => plan.strides.reduce((p, s) => p * s[a], 1));
  plan.patchSize.forEach((p, a) => {
    assert.equal(p % total[a], 0);
    assert.ok(p >= [36, 50, 35][a]);
  });
  assert.equal(plan.features[0], 32);
  assert.equal(plan.features.length, plan.strides.length);
});

Deno.test("anisotropic data keeps the coarse axis unstrided with 1×3×3 kernels first", () => {
  const plan = planUNet({
    spacing: [5, 0.8, 0.8],
    shape: [20, 256, 256],
    inChannels: 1,
    classes: 2,
  });
  assert.deepEqual(plan.kernelSizes[0], [1, 3, 3]);
  assert.equal(plan.strides[1][0], 1);
  assert.equal(plan.strides[1][1], 2);
  assert.ok(plan.patchSize[0] * plan.patchSize[1] * plan.patchSize[2] <= 128 ** 3 * 1.3);
});

Deno.test("a voxel budget shrinks the patch, largest physical axis first", () => {
  const plan = planUNet({
    spacing: [1, 1, 1],
    shape: [200, 100, 100],
    inChannels: 1,
    classes: 2,
    maxPatchVoxels: 64 ** 3,
    baseFeatures: 8,
    maxFeatures: 64,
  });
  assert.ok(plan.patchSize[0] * plan.patchSize[1] * plan.patchSize[2] <= 64 ** 3 * 1.2);
  assert.ok(plan.features.every((f) => f <= 64));
  assert.equal(plan.features[0], 8);
});
