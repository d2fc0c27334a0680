/**
 * Class probabilities from the Predictor and the predict CLI on a tiny trained model: they
 * lie on the source grid, sum to 1 per voxel, are background outside the crop, and their
 * argmax is the label output.
 */
import { strict as assert } from "node:assert";
import { readVolume } from "../../data/formats/mod.ts";
import { preprocessCase } from "../../data/preprocessing/mod.ts";
import type { Volume } from "../../data/volume.ts";
import {
  labelsFromProbabilities,
  Predictor,
  trainFold,
  writeSyntheticDataset,
} from "../../pipeline/mod.ts";
import { predictMain } from "../../tools/predict.ts";
import { setupGpu } from "../helpers.ts";
import { TINY_FOLD } from "./tiny_fold.ts";

await setupGpu();

const root = await Deno.makeTempDir();
const data = await writeSyntheticDataset(`${root}/Synthetic`, { cases: 6, size: [16, 16, 12] });
const trained = await trainFold({
  ...TINY_FOLD,
  data,
  output: `${root}/runs`,
  iterationsPerEpoch: 1,
  skipValidation: true,
});
const checkpoint = `${trained.experimentDir}/checkpoint_final.safetensors`;
const caseId = "synthetic_000";
const sourcePath = `${data}/imagesTr/${caseId}.nii.gz`;

/** Every voxel's class probabilities sum to 1 and lie in [0, 1]. */
function assertDistributions(probabilities: Volume): void {
  const [ni, nj, nk] = probabilities.dims;
  const voxels = ni * nj * nk;
  for (let v = 0; v < voxels; v++) {
    let sum = 0;
    for (let c = 0; c < probabilities.channels; c++) {
      const p = probabilities.data[c * voxels + v];
      assert.ok(p >= 0 && p <= 1, `probability ${p} at voxel ${v}, class ${c}`);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities sum to ${sum} at voxel ${v}`);
  }
}

function assertSameGeometry(a: Volume, b: Volume, tolerance = 0): void {
  assert.deepEqual(a.dims, b.dims);
  for (let i = 0; i < 16; i++) {
    assert.ok(Math.abs(a.affine[i] - b.affine[i]) <= tolerance, `affine[${i}]`);
  }
}

Deno.test("probabilities lie on the source grid, sum to 1, and their argmax is the labels", async () => {
  const predictor = await Predictor.fromCheckpoint(checkpoint);
  const source = await readVolume(sourcePath);
  const labels = await predictor.predictVolume(source, { mirrorAxes: [] });
  const probabilities = await predictor.predictVolume(source, {
    mirrorAxes: [],
    output: "probabilities",
  });
  assertSameGeometry(probabilities, source);
  assert.equal(probabilities.channels, predictor.classes);
  assert.ok(probabilities.data instanceof Float32Array);
  assertDistributions(probabilities);
  assert.deepEqual(labelsFromProbabilities(probabilities).data, labels.data);

  // The mean over an ensemble of one network twice is that network's probabilities.
  const twice = await Predictor.fromCheckpoints([checkpoint, checkpoint]);
  const mean = await twice.predictVolume(source, { mirrorAxes: [], output: "probabilities" });
  twice.dispose();
  assert.equal(mean.channels, probabilities.channels);
  for (let i = 0; i < mean.data.length; i++) {
    assert.ok(Math.abs(mean.data[i] - probabilities.data[i]) < 1e-5);
  }
  await assert.rejects(
    () => predictor.predictVolume(source, { output: "logits" as unknown as "labels" }),
    /output must be "labels" or "probabilities"/,
  );
  predictor.dispose();
});

Deno.test("probabilities are resampled back and un-cropped with background 1 outside the crop", async () => {
  const predictor = await Predictor.fromCheckpoint(checkpoint);
  const source = await readVolume(sourcePath);
  const [ni, nj, nk] = source.dims;
  // Zero a border (cropped away when the plan crops to nonzero) and coarsen i's spacing
  // (resampled to the plan's spacing), so both undo steps run.
  const image = new Float32Array(source.data.length);
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const v = (k * nj + j) * ni + i;
        image[v] = i < 3 || k >= nk - 2 ? 0 : Number(source.data[v]) || 1;
      }
    }
  }
  const affine = Float64Array.from(source.affine);
  for (const row of [0, 1, 2]) affine[row * 4] *= 1.6;
  const moved: Volume = { data: image, dims: [ni, nj, nk], channels: 1, affine, meta: {} };
  const { inversion } = preprocessCase({ id: "moved", image: moved }, predictor.preprocessing);
  const box = inversion.cropBox;
  assert.deepEqual(box, { start: [3, 0, 0], end: [ni, nj, nk - 2] }, "the border is cropped");
  assert.notDeepEqual(inversion.preprocessedDims, [ni - 3, nj, nk - 2], "the crop is resampled");

  const probabilities = await predictor.predictVolume(moved, {
    mirrorAxes: [2],
    stepFraction: 1,
    output: "probabilities",
  });
  assertSameGeometry(probabilities, moved);
  assertDistributions(probabilities);
  const voxels = ni * nj * nk;
  let outside = 0;
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const inside = i >= box.start[0] && i < box.end[0] && j >= box.start[1] &&
          j < box.end[1] && k >= box.start[2] && k < box.end[2];
        if (inside) continue;
        outside++;
        const v = (k * nj + j) * ni + i;
        assert.equal(probabilities.data[v], 1);
        for (let c = 1; c < probabilities.channels; c++) {
          assert.equal(probabilities.data[c * voxels + v], 0);
        }
      }
    }
  }
  assert.equal(outside, voxels - (ni - 3) * nj * (nk - 2));
  predictor.dispose();
});

Deno.test("the CLI writes a 4-D float32 probabilities NIfTI beside the mask, its argmax", async () => {
  const out = `${root}/predicted`;
  const code = await predictMain([
    "--model",
    checkpoint,
    "--input",
    sourcePath,
    "--output",
    out,
    "--step",
    "1",
    "--mirror-axes",
    "2",
    "--save-probabilities",
  ]);
  assert.equal(code, 0);
  const source = await readVolume(sourcePath);
  const mask = await readVolume(`${out}/${caseId}.nii.gz`);
  const probabilities = await readVolume(`${out}/${caseId}_probabilities.nii.gz`);
  assertSameGeometry(mask, source, 1e-4);
  assertSameGeometry(probabilities, source, 1e-4);
  assert.equal(probabilities.channels, 3);
  assert.ok(probabilities.data instanceof Float32Array);
  assertDistributions(probabilities);
  assert.deepEqual(
    Array.from(labelsFromProbabilities(probabilities).data),
    Array.from(mask.data),
  );
});
