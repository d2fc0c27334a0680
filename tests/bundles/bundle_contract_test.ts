/**
 * The bundle contract, checked for every registered bundle so none drifts from the core:
 * its network honours `deepSupervision` and keeps the patch size, a few training
 * iterations through `trainFold` write a final checkpoint, and the `Predictor` rebuilt
 * from that checkpoint alone segments a volume onto the source's exact grid and affine.
 */
import { strict as assert } from "node:assert";
import { memoryStats, noGrad, randNormal, scope, Tensor } from "../../core/mod.ts";
import { bundleNames, getBundle } from "../../bundles/mod.ts";
import type { UNetPlan } from "../../bundles/unet/planner.ts";
import { readVolume } from "../../data/formats/mod.ts";
import { Predictor, trainFold, writeSyntheticDataset } from "../../pipeline/mod.ts";
import { setupGpu } from "../helpers.ts";
import { TINY_FOLD } from "../pipeline/tiny_fold.ts";

await setupGpu();

// 16³ isotropic volumes: the plan's patch is 16³ with two 2×2×2 down-samplings, which
// every bundle accepts (the U-Net and V-Net need multiples of 4, UNETR of its ViT patch).
const root = await Deno.makeTempDir();
const data = await writeSyntheticDataset(`${root}/Synthetic`, {
  cases: 5,
  size: [16, 16, 16],
  spacing: [1, 1, 1],
});
const classes = 3;
const plan: UNetPlan = {
  spacing: [1, 1, 1],
  patchSize: [16, 16, 16],
  features: [4, 8, 8],
  strides: [[1, 1, 1], [2, 2, 2], [2, 2, 2]],
  kernelSizes: [[3, 3, 3], [3, 3, 3], [3, 3, 3]],
};

const names = bundleNames();

Deno.test("the registry holds the shipped bundles", () => {
  for (const name of ["unet", "vnet"]) assert.ok(names.includes(name), `${name} not in ${names}`);
});

for (const name of names) {
  Deno.test(`bundle "${name}": outputs follow deepSupervision and keep the patch size`, async () => {
    const start = memoryStats().liveBuffers;
    const bundle = getBundle(name);
    const network = bundle.buildNetwork({ inChannels: 1, classes, plan });
    const x = randNormal([1, ...plan.patchSize, 1]);
    const full = [1, ...plan.patchSize, classes];
    const trained = noGrad(() => scope(() => network.train().forward(x)));
    if (bundle.deepSupervision) {
      assert.ok(Array.isArray(trained), "deep supervision promised, one output returned");
      assert.deepEqual(trained[0].shape, full);
    } else {
      assert.ok(trained instanceof Tensor, "no deep supervision promised, several outputs");
      assert.deepEqual(trained.shape, full);
    }
    const logits = noGrad(() => scope(() => network.eval().forward(x)));
    assert.ok(logits instanceof Tensor, "evaluation mode must return one tensor");
    assert.deepEqual(logits.shape, full);
    assert.ok((await logits.read()).every(Number.isFinite));
    for (const t of [x, logits, ...[trained].flat()]) t.dispose();
    network.dispose();
    assert.equal(memoryStats().liveBuffers, start);
  });

  Deno.test(`bundle "${name}": train, checkpoint, reload, predict on the source grid`, async () => {
    const result = await trainFold({
      ...TINY_FOLD,
      data,
      output: `${root}/runs`,
      bundle: name,
      skipValidation: true,
    });
    const checkpoint = `${result.experimentDir}/checkpoint_final.safetensors`;
    assert.ok((await Deno.stat(checkpoint)).isFile);
    const predictor = await Predictor.fromCheckpoint(checkpoint);
    try {
      const source = await readVolume(`${data}/imagesTr/synthetic_000.nii.gz`);
      const mask = await predictor.predictVolume(source, { mirrorAxes: [] });
      assert.deepEqual(mask.dims, source.dims);
      assert.deepEqual([...mask.affine], [...source.affine]);
      assert.ok(mask.data.every((v) => Number.isInteger(v) && v >= 0 && v < classes));
    } finally {
      predictor.dispose();
    }
  });
}

globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
