import { strict as assert } from "node:assert";
import { memoryStats, Tensor } from "../../core/mod.ts";
import { PlainConvUNet } from "../../bundles/unet/plain_conv_unet.ts";
import { estimateTrainingBytes, planUNet } from "../../bundles/unet/planner.ts";
import type { AnyModule } from "../../layers/module.ts";
import type { BatchSource } from "../../training/batch_source.ts";
import { Trainer } from "../../training/trainer.ts";
import { seededRandom, setupGpu } from "../helpers.ts";

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

Deno.test("a memory budget shrinks the patch until the estimated training step fits", () => {
  const input = {
    spacing: [1, 1, 1] as [number, number, number],
    shape: [160, 160, 160] as [number, number, number],
    inChannels: 1,
    classes: 3,
    baseFeatures: 16,
    maxFeatures: 128,
  };
  const free = planUNet(input);
  const budget = 256 * 2 ** 20;
  assert.ok(estimateTrainingBytes(free, 1, 3, 2) > budget, "the unconstrained plan is larger");
  const fitted = planUNet({ ...input, memoryBudgetBytes: budget, batchSize: 2 });
  assert.ok(estimateTrainingBytes(fitted, 1, 3, 2) <= budget);
  const voxels = (p: number[]) => p[0] * p[1] * p[2];
  assert.ok(voxels(fitted.patchSize) < voxels(free.patchSize));
  // A bigger batch needs a smaller patch under the same budget.
  const batch4 = planUNet({ ...input, memoryBudgetBytes: budget, batchSize: 4 });
  assert.ok(voxels(batch4.patchSize) < voxels(fitted.patchSize));
  assert.throws(
    () => planUNet({ ...input, memoryBudgetBytes: 1024 }),
    /no patch fits 0\.00 GiB.*fewer features/,
  );
});

Deno.test("the memory estimate is within 0.8–1.5× a measured training step", async () => {
  await setupGpu();
  const plan = planUNet({
    spacing: [1, 1, 1],
    shape: [24, 32, 24],
    inChannels: 1,
    classes: 3,
    baseFeatures: 8,
    maxFeatures: 64,
  });
  const patchVoxels = plan.patchSize[0] * plan.patchSize[1] * plan.patchSize[2];
  const random = seededRandom(9);
  const source: BatchSource = {
    next: () => ({
      image: Tensor.from(
        Float32Array.from({ length: 2 * patchVoxels }, () => random()),
        [2, ...plan.patchSize, 1],
      ),
      label: Tensor.from(
        Int32Array.from({ length: 2 * patchVoxels }, () => Math.floor(random() * 3)),
        [2, ...plan.patchSize],
        "i32",
      ),
    }),
  };
  class UNetTrainer extends Trainer {
    protected override buildNetwork(): AnyModule {
      return new PlainConvUNet({
        inChannels: 1,
        classes: 3,
        features: plan.features,
        strides: plan.strides,
        kernelSizes: plan.kernelSizes,
      }) as unknown as AnyModule;
    }
  }
  const before = memoryStats();
  const dir = await Deno.makeTempDir();
  await new UNetTrainer(
    { outputDir: dir, classes: 3, epochs: 1, iterationsPerEpoch: 2, validationIterations: 1 },
    { train: source, validation: source },
  ).train();
  const after = memoryStats();
  // The pool keeps every buffer the step needed, so live + pooled is its high-water mark.
  const measured = after.liveBytes + after.pooledBytes - before.liveBytes - before.pooledBytes;
  const ratio = estimateTrainingBytes(plan, 1, 3, 2) / measured;
  assert.ok(ratio > 0.8 && ratio < 1.5, `estimate / measured = ${ratio.toFixed(2)}`);
  await Deno.remove(dir, { recursive: true });
});
