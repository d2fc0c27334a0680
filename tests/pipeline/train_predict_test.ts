/**
 * The assembled pipeline on a tiny synthetic dataset: train a fold (checkpoints, tracking,
 * sliding-window validation), then predict with the checkpoint through the Predictor and
 * the CLI; predictions must lie exactly on their source images' grids.
 */
import { strict as assert } from "node:assert";
import { readVolume } from "../../data/formats/mod.ts";
import { Predictor, trainFold, writeSyntheticDataset } from "../../pipeline/mod.ts";
import { predictMain } from "../../tools/predict.ts";
import { trainMain } from "../../tools/train.ts";
import { setupGpu } from "../helpers.ts";
import { TINY_FOLD } from "./tiny_fold.ts";

await setupGpu();

Deno.test("train a fold, then predict with its checkpoint on the source geometry", async () => {
  const root = await Deno.makeTempDir();
  const data = await writeSyntheticDataset(`${root}/Synthetic`, { cases: 6, size: [16, 16, 12] });
  const result = await trainFold({ ...TINY_FOLD, data, output: `${root}/runs` });
  const dir = result.experimentDir;
  for (const file of ["checkpoint_final.safetensors", "report.html", "metrics.csv"]) {
    await Deno.stat(`${dir}/${file}`);
  }
  assert.ok(result.validation);
  const id = result.validation.cases[0].caseId;
  const source = await readVolume(`${data}/imagesTr/${id}.nii.gz`);
  const validated = await readVolume(`${dir}/validation/${id}.nii.gz`);
  assert.deepEqual(validated.dims, source.dims);
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(validated.affine[i] - source.affine[i]) < 1e-4);

  const predictor = await Predictor.fromCheckpoint(`${dir}/checkpoint_final.safetensors`);
  const mask = await predictor.predictVolume(source, { mirrorAxes: [] });
  assert.deepEqual(mask.dims, source.dims);
  assert.ok(mask.data.every((v) => v >= 0 && v < 3));
  predictor.dispose();

  const out = `${root}/predicted`;
  const code = await predictMain([
    "--model",
    `${dir}/checkpoint_final.safetensors`,
    "--input",
    `${data}/imagesTr/${id}.nii.gz`,
    "--output",
    out,
    "--no-mirror",
  ]);
  assert.equal(code, 0);
  const written = await readVolume(`${out}/${id}.nii.gz`);
  assert.deepEqual(written.dims, source.dims);
});

Deno.test("CLI argument errors are clear and exit with 2", async () => {
  assert.equal(await trainMain([]), 2);
  assert.equal(await trainMain(["--data", "x", "--bogus"]), 2);
  assert.equal(await predictMain(["--model", "m"]), 2);
  assert.equal(
    await predictMain(["--model", "no-such-model", "--input", ".", "--output", "/tmp/x"]),
    1,
  );
});

Deno.test("fold ensembles average probabilities; a folds folder resolves to every fold", async () => {
  const { resolveModel } = await import("../../tools/predict.ts");
  const root = await Deno.makeTempDir();
  const data = await writeSyntheticDataset(`${root}/Synthetic`, { cases: 6, size: [16, 16, 12] });
  const paths: string[] = [];
  for (const fold of [0, 1]) {
    const result = await trainFold({
      data,
      output: `${root}/runs`,
      fold,
      epochs: 1,
      iterationsPerEpoch: 1,
      validationIterations: 1,
      baseFeatures: 4,
      maxFeatures: 8,
      skipValidation: true,
      log: () => {},
    });
    paths.push(`${result.experimentDir}/checkpoint_final.safetensors`);
  }
  assert.deepEqual(await resolveModel(`${root}/runs/Synthetic/unet`), paths);
  const ensemble = await Predictor.fromCheckpoints(paths);
  assert.equal(ensemble.networks.length, 2);
  const source = await readVolume(`${data}/imagesTr/synthetic_000.nii.gz`);
  const mask = await ensemble.predictVolume(source, { mirrorAxes: [] });
  assert.deepEqual(mask.dims, source.dims);
  ensemble.dispose();
});
