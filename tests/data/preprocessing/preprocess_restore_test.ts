import assert from "node:assert/strict";
import { type Vec3, voxelToWorld } from "../../../data/geometry.ts";
import { inMemoryDataset } from "../../../data/datasets/mod.ts";
import { fingerprintDataset } from "../../../data/inspection/mod.ts";
import {
  planFromFingerprint,
  preprocessCase,
  type PreprocessingPlan,
  RestoreError,
  restoreToOriginalGrid,
} from "../../../data/preprocessing/mod.ts";
import type { Volume } from "../../../data/volume.ts";
import { HIPPOCAMPUS, testAffine, testRandom, volumeOf } from "../datasets/synthetic.ts";
import { openMsdDataset } from "../../../data/datasets/mod.ts";

/** An image that is zero on a 1-voxel border (so cropping removes it) with a label inside. */
function paddedCase(dims: Vec3, affine: Float64Array): { image: Volume; label: Volume } {
  const random = testRandom(3);
  const image = new Float32Array(dims[0] * dims[1] * dims[2]);
  const label = new Uint8Array(image.length);
  let n = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, n++) {
        const inside = i > 0 && j > 0 && k > 0 && i < dims[0] - 1 && j < dims[1] - 1 &&
          k < dims[2] - 1;
        if (!inside) continue;
        image[n] = 50 + random() * 100;
        const di = i - dims[0] / 2, dj = j - dims[1] / 2, dk = k - dims[2] / 2;
        const r = Math.hypot(di, dj, dk);
        label[n] = r < 2 ? 2 : r < 3.5 ? 1 : 0;
      }
    }
  }
  return { image: volumeOf(image, dims, affine), label: volumeOf(label, dims, affine) };
}

const BASE_PLAN: PreprocessingPlan = {
  version: 1,
  cropToNonzero: true,
  targetSpacing: null,
  imageInterpolation: "linear",
  labelInterpolation: "linear-argmax",
  normalization: [{ kind: "zscore" }],
};

function oneHot(label: Volume, classes: number): Volume {
  const voxels = label.data.length;
  const data = new Float32Array(voxels * classes);
  for (let n = 0; n < voxels; n++) data[label.data[n] * voxels + n] = 1;
  return { ...label, data, channels: classes };
}

function argmax(probabilities: Volume): number[] {
  const voxels = probabilities.dims[0] * probabilities.dims[1] * probabilities.dims[2];
  return Array.from({ length: voxels }, (_, n) => {
    let best = 0;
    for (let c = 1; c < probabilities.channels; c++) {
      if (probabilities.data[c * voxels + n] > probabilities.data[best * voxels + n]) best = c;
    }
    return best;
  });
}

Deno.test("preprocess: crop only, then restore gives back the label exactly", () => {
  const dims: Vec3 = [9, 8, 7];
  const affine = testAffine([0.8, 1.2, 2], true);
  const { image, label } = paddedCase(dims, affine);
  const result = preprocessCase({ id: "p", image, label }, BASE_PLAN);
  assert.deepEqual(result.image.dims, [7, 6, 5]);
  assert.deepEqual(result.inversion.cropBox, { start: [1, 1, 1], end: [8, 7, 6] });
  const first = voxelToWorld(result.image.affine, [0, 0, 0]);
  voxelToWorld(affine, [1, 1, 1]).forEach((x, n) => assert.ok(Math.abs(x - first[n]) < 1e-12));
  const restored = restoreToOriginalGrid(result.label!, result.inversion, "label");
  assert.deepEqual(Array.from(restored.data), Array.from(label.data));
  assert.deepEqual(Array.from(restored.affine), Array.from(affine));
  const probabilities = restoreToOriginalGrid(
    oneHot(result.label!, 3),
    result.inversion,
    "probabilities",
  );
  assert.deepEqual(argmax(probabilities), Array.from(label.data));
  assert.equal(probabilities.data[0], 1, "padding is background with probability 1");
  assert.throws(
    () => restoreToOriginalGrid(volumeOf(new Uint8Array(8), [2, 2, 2]), result.inversion, "label"),
    RestoreError,
  );
});

Deno.test("preprocess: resampling to a target spacing, restored up to resampling effects", () => {
  const dims: Vec3 = [15, 11, 8];
  const affine = testAffine([0.8, 1.2, 2]);
  const { image, label } = paddedCase(dims, affine);
  const plan = { ...BASE_PLAN, targetSpacing: [1, 1, 1] as Vec3 };
  const result = preprocessCase({ id: "r", image, label }, plan);
  assert.deepEqual(result.image.dims, [10, 11, 12]); // 13·0.8, 9·1.2, 6·2 mm
  assert.deepEqual(result.label!.dims, result.image.dims);
  assert.deepEqual(result.label!.affine, result.image.affine);
  // The preprocessed grid covers exactly the cropped extent.
  const corner = voxelToWorld(result.image.affine, [-0.5, -0.5, -0.5]);
  voxelToWorld(affine, [0.5, 0.5, 0.5]).forEach((x, n) =>
    assert.ok(Math.abs(x - corner[n]) < 1e-9)
  );
  const restored = restoreToOriginalGrid(result.label!, result.inversion, "label");
  assert.deepEqual(restored.dims, dims);
  let agree = 0, foreground = 0;
  for (let n = 0; n < label.data.length; n++) {
    if (label.data[n] > 0 || restored.data[n] > 0) {
      foreground++;
      if (label.data[n] === restored.data[n]) agree++;
    }
  }
  assert.ok(agree / foreground > 0.85, `foreground agreement ${agree}/${foreground}`);
  assert.deepEqual(new Set(restored.data), new Set([0, 1, 2]));
});

Deno.test("preprocess: a plan from the fingerprint picks median spacing and nnU-Net's norm", async () => {
  const dims: Vec3 = [9, 8, 7];
  const cases = [0.8, 1, 1.4].map((s, n) => {
    const { image, label } = paddedCase(dims, testAffine([s, 1.2, 2]));
    return { id: `c${n}`, image, label };
  });
  const fingerprint = await fingerprintDataset(inMemoryDataset(cases), { samplesPerCase: 100 });
  const plan = planFromFingerprint(fingerprint);
  assert.deepEqual(plan.targetSpacing, [1, 1.2, 2]);
  // Cropping keeps 7·6·5 / 9·8·7 ≈ 42 % of the volume, so z-score uses the nonzero region.
  assert.deepEqual(plan.normalization, [{ kind: "zscore", region: "nonzero" }]);
  const ct = planFromFingerprint(fingerprint, { channelNames: ["CT"] }).normalization[0];
  assert.equal(ct.kind, "ct");
  if (ct.kind === "ct") assert.equal(ct.upper, fingerprint.foregroundIntensity[0].percentile99_5);
});

Deno.test({
  name: "preprocess: Task04 Hippocampus cases round-trip through restore",
  ignore: HIPPOCAMPUS === undefined,
  fn: async () => {
    const dataset = await openMsdDataset(HIPPOCAMPUS!);
    for (const ref of dataset.cases().slice(0, 3)) {
      const loaded = await dataset.load(ref.id);
      const result = preprocessCase(loaded, { ...BASE_PLAN, targetSpacing: [1, 1, 1] });
      const mean = Array.from(result.image.data).reduce((sum, v) => sum + v, 0) /
        result.image.data.length;
      assert.ok(Math.abs(mean) < 1e-3, "z-scored image has mean 0");
      const restored = restoreToOriginalGrid(result.label!, result.inversion, "label");
      assert.deepEqual(Array.from(restored.data), Array.from(loaded.label!.data, Number));
    }
  },
});
