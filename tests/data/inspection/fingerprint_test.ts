import assert from "node:assert/strict";
import { inMemoryDataset } from "../../../data/datasets/mod.ts";
import {
  fingerprintCase,
  fingerprintDataset,
  foregroundBoundingBox,
  intensityStatistics,
  loadFingerprint,
  nonzeroBoundingBox,
  percentileOfSorted,
  saveFingerprint,
} from "../../../data/inspection/mod.ts";
import { affineFromParts, type Vec3 } from "../../../data/geometry.ts";
import { boxLabel, randomImage, volumeOf } from "../datasets/synthetic.ts";

Deno.test("inspection: percentiles and statistics match NumPy's definitions", () => {
  assert.equal(percentileOfSorted(Float64Array.of(1, 2, 3, 4), 50), 2.5);
  assert.equal(percentileOfSorted(Float64Array.of(10, 20), 0.5), 10.05);
  const stats = intensityStatistics([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(stats.mean, 5);
  assert.equal(stats.std, 2); // population std
  assert.equal(stats.min, 2);
  assert.equal(stats.max, 9);
  // numpy.percentile([2,4,4,4,5,5,7,9], 99.5) = 7 + (9 - 7) * 0.965 = 8.93
  assert.ok(Math.abs(stats.percentile99_5 - 8.93) < 1e-12);
  assert.ok(Math.abs(stats.percentile00_5 - 2.07) < 1e-12);
  assert.equal(intensityStatistics([]).count, 0);
});

Deno.test("inspection: bounding boxes are the union over channels", () => {
  const dims: Vec3 = [6, 5, 4];
  const data = new Float32Array(6 * 5 * 4 * 2);
  data[(1 * 5 + 2) * 6 + 3] = 1; // channel 0, voxel (3, 2, 1)
  data[120 + (3 * 5 + 4) * 6 + 1] = -2; // channel 1, voxel (1, 4, 3)
  const box = nonzeroBoundingBox(volumeOf(data, dims, undefined, 2));
  assert.deepEqual(box, { start: [1, 2, 1], end: [4, 5, 4] });
  assert.equal(nonzeroBoundingBox(volumeOf(new Float32Array(120), dims)), undefined);
  assert.deepEqual(foregroundBoundingBox(boxLabel(dims)), { start: [1, 1, 1], end: [5, 4, 3] });
});

Deno.test("inspection: a case's fingerprint matches hand computation", () => {
  const dims: Vec3 = [3, 2, 2];
  const affine = affineFromParts({ spacing: [0.5, 2, 3], origin: [0, 0, 0] });
  const image = volumeOf(Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), dims, affine);
  const label = volumeOf(Uint8Array.of(0, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0, 1), dims, affine);
  const { fingerprint, samples } = fingerprintCase({ id: "h", image, label }, 50, 3);
  assert.deepEqual(fingerprint.dims, [3, 2, 2]);
  assert.deepEqual(fingerprint.spacing, [0.5, 2, 3]);
  assert.deepEqual(fingerprint.classVoxelCounts, { "0": 8, "1": 2, "2": 2 });
  assert.deepEqual(fingerprint.foregroundBox, { start: [1, 0, 0], end: [3, 2, 2] });
  assert.deepEqual(fingerprint.nonzeroBox, { start: [0, 0, 0], end: [3, 2, 2] });
  // Foreground intensities: 1, 4, 5, 11.
  const stats = fingerprint.foregroundIntensity[0];
  assert.equal(stats.count, 4);
  assert.equal(stats.mean, 5.25);
  assert.ok(
    Math.abs(stats.std - Math.sqrt(((1 - 5.25) ** 2 + 1.25 ** 2 + 0.25 ** 2 + 5.75 ** 2) / 4)) <
      1e-12,
  );
  assert.ok(Math.abs(stats.percentile99_5 - (5 + 6 * (0.995 * 3 - 2))) < 1e-12);
  assert.equal(samples[0].length, 50);
  assert.ok(samples[0].every((v) => [1, 4, 5, 11].includes(v)));
});

Deno.test("inspection: dataset fingerprint summarises, saves and reloads", async () => {
  const a = randomImage(
    [6, 5, 4],
    1,
    1,
    affineFromParts({ spacing: [1, 1, 2], origin: [0, 0, 0] }),
  );
  const b = randomImage(
    [8, 5, 4],
    2,
    1,
    affineFromParts({ spacing: [1, 3, 2], origin: [0, 0, 0] }),
  );
  const c = randomImage(
    [7, 5, 4],
    3,
    1,
    affineFromParts({ spacing: [2, 1, 2], origin: [0, 0, 0] }),
  );
  const label = (image: typeof a) => ({ ...boxLabel(image.dims), affine: image.affine });
  const dataset = inMemoryDataset([
    { id: "a", image: a, label: label(a) },
    { id: "b", image: b, label: label(b) },
    { id: "c", image: c, label: label(c) },
  ]);
  const fingerprint = await fingerprintDataset(dataset, { samplesPerCase: 200, seed: 7 });
  assert.deepEqual(fingerprint.medianSpacing, [1, 1, 2]);
  assert.deepEqual(fingerprint.medianShape, [7, 5, 4]);
  assert.deepEqual(fingerprint.labelValues, [0, 1, 2]);
  assert.equal(fingerprint.foregroundIntensity[0].count, 600);
  const again = await fingerprintDataset(dataset, { samplesPerCase: 200, seed: 7 });
  assert.deepEqual(again, fingerprint, "sampling is deterministic");
  const pooledMean = fingerprint.foregroundIntensity[0].mean;
  const caseMeans = fingerprint.cases.map((x) => x.foregroundIntensity[0].mean);
  assert.ok(pooledMean > Math.min(...caseMeans) - 10 && pooledMean < Math.max(...caseMeans) + 10);
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await saveFingerprint(path, fingerprint);
  assert.deepEqual(await loadFingerprint(path), fingerprint);
  await Deno.writeTextFile(path, JSON.stringify({ version: 2 }));
  await assert.rejects(loadFingerprint(path), /not a version-1 dataset fingerprint/);
  await Deno.remove(path);
});
