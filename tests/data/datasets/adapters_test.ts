import assert from "node:assert/strict";
import {
  DatasetLayoutError,
  GridMismatchError,
  inMemoryDataset,
  MissingCaseFileError,
  openFolderDataset,
  openMsdDataset,
  UnknownCaseError,
} from "../../../data/datasets/mod.ts";
import { HIPPOCAMPUS, randomImage, testAffine, volumeOf, writeVolumes } from "./synthetic.ts";
import { boxLabel } from "./synthetic.ts";
import type { Vec3 } from "../../../data/geometry.ts";

const DIMS: Vec3 = [5, 4, 3];

async function msdV1(root: string, cases: string[], withChannelFiles = false): Promise<void> {
  const files: Record<string, ReturnType<typeof randomImage>> = {};
  cases.forEach((id, n) => {
    if (withChannelFiles) {
      files[`${root}/imagesTr/${id}_0000.nii.gz`] = randomImage(DIMS, n);
      files[`${root}/imagesTr/${id}_0001.nii.gz`] = randomImage(DIMS, n + 100);
    } else {
      files[`${root}/imagesTr/${id}.nii.gz`] = randomImage(DIMS, n);
    }
    files[`${root}/labelsTr/${id}.nii.gz`] = boxLabel(DIMS);
  });
  await writeVolumes(files);
  await Deno.writeTextFile(
    `${root}/dataset.json`,
    JSON.stringify({
      modality: withChannelFiles ? { "0": "T1", "1": "T2" } : { "0": "MRI" },
      labels: { "0": "background", "1": "a", "2": "b" },
      training: cases.map((id) => ({
        image: `./imagesTr/${id}.nii.gz`,
        label: `./labelsTr/${id}.nii.gz`,
      })),
    }),
  );
}

Deno.test("datasets: MSD layout lists and loads cases", async () => {
  const root = await Deno.makeTempDir();
  await msdV1(root, ["case_b", "case_a"]);
  const dataset = await openMsdDataset(root);
  assert.deepEqual(dataset.cases().map((c) => c.id), ["case_b", "case_a"]);
  assert.deepEqual(dataset.channelNames, ["MRI"]);
  assert.deepEqual(dataset.labelNames, { 0: "background", 1: "a", 2: "b" });
  const { image, label } = await dataset.load("case_a");
  assert.deepEqual(image.dims, DIMS);
  assert.equal(image.channels, 1);
  assert.deepEqual(Array.from(image.data), Array.from(randomImage(DIMS, 1).data));
  assert.deepEqual(Array.from(label!.data), Array.from(boxLabel(DIMS).data));
  await assert.rejects(dataset.load("nope"), UnknownCaseError);
  await Deno.remove(root, { recursive: true });
});

Deno.test("datasets: nnU-Net v1 _0000 channel files are stacked", async () => {
  const root = await Deno.makeTempDir();
  await msdV1(root, ["c1"], true);
  const dataset = await openMsdDataset(root);
  assert.equal(dataset.cases()[0].imagePaths.length, 2);
  const { image } = await dataset.load("c1");
  assert.equal(image.channels, 2);
  const voxels = DIMS[0] * DIMS[1] * DIMS[2];
  assert.deepEqual(
    Array.from(image.data.subarray(voxels)),
    Array.from(randomImage(DIMS, 100).data),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("datasets: nnU-Net v2 layout (channel_names, labels name → value, no list)", async () => {
  const root = await Deno.makeTempDir();
  await writeVolumes({
    [`${root}/imagesTr/x_0000.nii.gz`]: randomImage(DIMS, 1),
    [`${root}/imagesTr/x_0001.nii.gz`]: randomImage(DIMS, 2),
    [`${root}/labelsTr/x.nii.gz`]: boxLabel(DIMS),
    [`${root}/imagesTr/y_0000.nii.gz`]: randomImage(DIMS, 3),
    [`${root}/imagesTr/y_0001.nii.gz`]: randomImage(DIMS, 4),
    [`${root}/labelsTr/y.nii.gz`]: boxLabel(DIMS),
  });
  await Deno.writeTextFile(
    `${root}/dataset.json`,
    JSON.stringify({
      channel_names: { "0": "CT", "1": "PET" },
      labels: { background: 0, tumour: 1 },
      numTraining: 2,
      file_ending: ".nii.gz",
    }),
  );
  const dataset = await openMsdDataset(root);
  assert.deepEqual(dataset.cases().map((c) => c.id), ["x", "y"]);
  assert.deepEqual(dataset.channelNames, ["CT", "PET"]);
  assert.deepEqual(dataset.labelNames, { 0: "background", 1: "tumour" });
  assert.equal((await dataset.load("y")).image.channels, 2);
  // A missing channel file is named.
  await Deno.remove(`${root}/imagesTr/y_0001.nii.gz`);
  await assert.rejects(openMsdDataset(root), (error: unknown) => {
    assert.ok(error instanceof MissingCaseFileError);
    assert.match(error.message, /y_0001\.nii\.gz/);
    return true;
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("datasets: missing label, bad or missing dataset.json are typed errors naming the path", async () => {
  const root = await Deno.makeTempDir();
  await assert.rejects(openMsdDataset(root), (error: unknown) => {
    assert.ok(error instanceof DatasetLayoutError);
    assert.ok(error.message.includes(`${root}/dataset.json`));
    return true;
  });
  await msdV1(root, ["a", "b"]);
  await Deno.remove(`${root}/labelsTr/b.nii.gz`);
  await assert.rejects(openMsdDataset(root), (error: unknown) => {
    assert.ok(error instanceof MissingCaseFileError);
    assert.equal(error.caseId, "b");
    assert.ok(error.message.includes(`${root}/labelsTr/b.nii.gz`));
    return true;
  });
  const unlabelled = await openMsdDataset(root, { requireLabels: false });
  assert.equal((await unlabelled.load("b")).label, undefined);
  await Deno.writeTextFile(`${root}/dataset.json`, "{ not json");
  await assert.rejects(openMsdDataset(root), DatasetLayoutError);
  await Deno.writeTextFile(`${root}/dataset.json`, JSON.stringify({ training: "x" }));
  await assert.rejects(openMsdDataset(root), /"training" must be a list/);
  await Deno.writeTextFile(
    `${root}/dataset.json`,
    JSON.stringify({
      training: [{ image: "./imagesTr/zzz.nii.gz", label: "./labelsTr/a.nii.gz" }],
    }),
  );
  await assert.rejects(openMsdDataset(root), /zzz\.nii\.gz/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("datasets: a label on another grid names the case", async () => {
  const root = await Deno.makeTempDir();
  await msdV1(root, ["good", "shifted", "small"]);
  await writeVolumes({
    [`${root}/labelsTr/shifted.nii.gz`]: volumeOf(
      boxLabel(DIMS).data,
      DIMS,
      testAffine([0.8, 1.2, 2.5]),
    ),
    [`${root}/labelsTr/small.nii.gz`]: boxLabel([5, 4, 2]),
  });
  const dataset = await openMsdDataset(root);
  await dataset.load("good");
  await assert.rejects(dataset.load("shifted"), (error: unknown) => {
    assert.ok(error instanceof GridMismatchError);
    assert.equal(error.caseId, "shifted");
    assert.match(error.message, /different affines/);
    return true;
  });
  await assert.rejects(dataset.load("small"), /case "small".*dims \[5, 4, 3\].*\[5, 4, 2\]/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("datasets: plain folders are matched by name", async () => {
  const root = await Deno.makeTempDir();
  await writeVolumes({
    [`${root}/img/p2.nii.gz`]: randomImage(DIMS, 2),
    [`${root}/img/p1.nii.gz`]: randomImage(DIMS, 1),
    [`${root}/lab/p1.nii.gz`]: boxLabel(DIMS),
    [`${root}/lab/p2.nii.gz`]: boxLabel(DIMS),
  });
  await Deno.writeTextFile(`${root}/img/notes.txt`, "ignored");
  const dataset = await openFolderDataset({ images: `${root}/img`, labels: `${root}/lab` });
  assert.deepEqual(dataset.cases().map((c) => c.id), ["p1", "p2"]);
  assert.ok((await dataset.load("p2")).label);
  const imagesOnly = await openFolderDataset({ images: `${root}/img` });
  assert.equal(imagesOnly.cases()[0].labelPath, undefined);
  await writeVolumes({ [`${root}/lab/p3.nii.gz`]: boxLabel(DIMS) });
  await assert.rejects(
    openFolderDataset({ images: `${root}/img`, labels: `${root}/lab` }),
    /p3\.nii\.gz: has no matching image/,
  );
  await Deno.remove(`${root}/lab/p3.nii.gz`);
  await Deno.remove(`${root}/lab/p2.nii.gz`);
  await assert.rejects(
    openFolderDataset({ images: `${root}/img`, labels: `${root}/lab` }),
    MissingCaseFileError,
  );
  await assert.rejects(openFolderDataset({ images: `${root}/nowhere` }), DatasetLayoutError);
  await Deno.remove(root, { recursive: true });
});

Deno.test("datasets: in-memory cases are checked once and served as given", async () => {
  const image = randomImage(DIMS, 5);
  const dataset = inMemoryDataset([{ id: "m", image, label: boxLabel(DIMS) }]);
  assert.equal((await dataset.load("m")).image, image);
  assert.throws(
    () => inMemoryDataset([{ id: "bad", image, label: boxLabel([4, 4, 3]) }]),
    GridMismatchError,
  );
  assert.throws(
    () => inMemoryDataset([{ id: "m", image }, { id: "m", image }]),
    DatasetLayoutError,
  );
  await assert.rejects(dataset.load("x"), UnknownCaseError);
});

Deno.test({
  name: "datasets: Task04 Hippocampus opens and loads",
  ignore: HIPPOCAMPUS === undefined,
  fn: async () => {
    const dataset = await openMsdDataset(HIPPOCAMPUS!);
    assert.equal(dataset.cases().length, 208);
    assert.equal(dataset.labelNames?.[2], "Posterior");
    for (const ref of dataset.cases().slice(0, 3)) {
      const { image, label } = await dataset.load(ref.id);
      assert.deepEqual(image.dims, label!.dims);
      assert.equal(image.channels, 1);
    }
  },
});
