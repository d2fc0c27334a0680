import { strict as assert } from "node:assert";
import { readVolume } from "../../data/formats/mod.ts";
import { Evaluator } from "../../evaluation/mod.ts";
import { Predictor } from "../../pipeline/mod.ts";
import { resolveModel } from "../../tools/predict.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

const DATA = new URL("../../../shared/data/Task04_Hippocampus", import.meta.url).pathname;
const dataPresent = (() => {
  try {
    return Deno.statSync(`${DATA}/dataset.json`).isFile;
  } catch {
    return false;
  }
})();
if (!dataPresent) {
  console.log(`skipping the bundled Hippocampus model on real cases: ${DATA} is absent`);
}

Deno.test("the bundled Hippocampus model resolves by name and loads as a predictor", async () => {
  const [path] = await resolveModel("hippocampus");
  assert.match(path, /bundles\/unet\/weights\/hippocampus\/checkpoint_final\.safetensors$/);
  const predictor = await Predictor.fromCheckpoint(path);
  assert.equal(predictor.classes, 3);
  assert.equal(predictor.channels, 1);
  predictor.dispose();
});

Deno.test({
  name: "the bundled Hippocampus model segments fold-0 validation cases (Dice > 0.75)",
  ignore: !dataPresent,
  fn: async () => {
    const [path] = await resolveModel("hippocampus");
    const predictor = await Predictor.fromCheckpoint(path);
    const evaluator = new Evaluator({ labels: [1, 2] });
    // Held out of the model's training: in fold 0's validation split (seed 12345).
    for (const id of ["hippocampus_011", "hippocampus_035"]) {
      const image = await readVolume(`${DATA}/imagesTr/${id}.nii.gz`);
      const reference = await readVolume(`${DATA}/labelsTr/${id}.nii.gz`);
      const prediction = await predictor.predictVolume(image, { mirrorAxes: [] });
      assert.deepEqual(prediction.dims, reference.dims);
      assert.deepEqual([...prediction.affine], [...reference.affine]);
      const metrics = evaluator.evaluateCase({ caseId: id, prediction, reference });
      for (const label of ["1", "2"]) {
        assert.ok(
          metrics.classes[label].dice > 0.75,
          `${id} class ${label}: ${metrics.classes[label].dice}`,
        );
      }
    }
    predictor.dispose();
  },
});
