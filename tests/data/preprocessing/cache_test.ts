import assert from "node:assert/strict";
import { inMemoryDataset, openMsdDataset } from "../../../data/datasets/mod.ts";
import {
  planHash,
  preprocessCase,
  preprocessDatasetCached,
  type PreprocessingPlan,
} from "../../../data/preprocessing/mod.ts";
import type { Vec3 } from "../../../data/geometry.ts";
import { boxLabel, randomImage, testAffine, writeVolumes } from "../datasets/synthetic.ts";

const PLAN: PreprocessingPlan = {
  version: 1,
  cropToNonzero: true,
  targetSpacing: [1, 1, 1],
  imageInterpolation: "linear",
  labelInterpolation: "linear-argmax",
  normalization: [{ kind: "zscore" }],
};

const DIMS: Vec3 = [6, 5, 4];

function cases() {
  return ["a", "b", "c"].map((id, n) => ({
    id,
    image: randomImage(DIMS, n, 1, testAffine()),
    label: boxLabel(DIMS, testAffine()),
  }));
}

Deno.test("cache: first run misses, second hits, results equal fresh preprocessing", async () => {
  const folder = await Deno.makeTempDir();
  const dataset = inMemoryDataset(cases());
  const first = await preprocessDatasetCached(dataset, PLAN, folder);
  assert.deepEqual(first.stats, { hits: 0, misses: 3 });
  const second = await preprocessDatasetCached(dataset, PLAN, folder);
  assert.deepEqual(second.stats, { hits: 3, misses: 0 });
  const fresh = preprocessCase(await dataset.load("b"), PLAN);
  const cached = await second.load("b");
  assert.deepEqual(cached.image.dims, fresh.image.dims);
  assert.deepEqual(Array.from(cached.image.data), Array.from(fresh.image.data));
  assert.deepEqual(Array.from(cached.label!.data), Array.from(fresh.label!.data));
  assert.deepEqual(Array.from(cached.image.affine), Array.from(fresh.image.affine));
  assert.deepEqual(cached.inversion, fresh.inversion);
  const manifest = JSON.parse(await Deno.readTextFile(`${folder}/manifest.json`));
  assert.equal(manifest.planHash, await planHash(PLAN));
  await assert.rejects(second.load("zzz"), /unknown case "zzz"/);
  await Deno.remove(folder, { recursive: true });
});

Deno.test("cache: a changed plan or source file invalidates what it affects", async () => {
  const folder = await Deno.makeTempDir();
  const dataset = inMemoryDataset(cases());
  await preprocessDatasetCached(dataset, PLAN, folder);
  const changed: PreprocessingPlan = { ...PLAN, normalization: [{ kind: "rescale" }] };
  assert.notEqual(await planHash(changed), await planHash(PLAN));
  assert.equal(
    await planHash({ ...PLAN, normalization: [{ kind: "zscore" }] }),
    await planHash(PLAN),
    "equal plans hash equally",
  );
  const rerun = await preprocessDatasetCached(dataset, changed, folder);
  assert.deepEqual(rerun.stats, { hits: 0, misses: 3 });
  const image = (await rerun.load("a")).image.data;
  assert.ok(Math.min(...image) >= 0 && Math.max(...image) <= 1, "rescaled, then interpolated");
  assert.ok(Math.max(...image) - Math.min(...image) > 0.5);
  // A deleted case file is rebuilt.
  await Deno.remove(`${folder}/c.safetensors`);
  assert.deepEqual((await preprocessDatasetCached(dataset, changed, folder)).stats, {
    hits: 2,
    misses: 1,
  });

  // On disk, rewriting a source file invalidates only that case.
  const root = await Deno.makeTempDir();
  await writeVolumes({
    [`${root}/img/p.nii.gz`]: randomImage(DIMS, 1),
    [`${root}/lab/p.nii.gz`]: boxLabel(DIMS),
    [`${root}/img/q.nii.gz`]: randomImage(DIMS, 2),
    [`${root}/lab/q.nii.gz`]: boxLabel(DIMS),
  });
  await Deno.writeTextFile(
    `${root}/dataset.json`,
    JSON.stringify({
      training: ["p", "q"].map((id) => ({ image: `img/${id}.nii.gz`, label: `lab/${id}.nii.gz` })),
    }),
  );
  const cacheFolder = `${root}/cache`;
  const disk = await openMsdDataset(root);
  assert.deepEqual((await preprocessDatasetCached(disk, PLAN, cacheFolder)).stats.misses, 2);
  await writeVolumes({ [`${root}/img/q.nii.gz`]: randomImage([6, 5, 5], 3) });
  await writeVolumes({ [`${root}/lab/q.nii.gz`]: boxLabel([6, 5, 5]) });
  const after = await preprocessDatasetCached(disk, PLAN, cacheFolder);
  assert.deepEqual(after.stats, { hits: 1, misses: 1 });
  assert.deepEqual((await after.load("q")).inversion.originalDims, [6, 5, 5]);
  await Deno.remove(folder, { recursive: true });
  await Deno.remove(root, { recursive: true });
});
