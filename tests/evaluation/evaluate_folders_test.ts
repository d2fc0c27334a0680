import assert from "node:assert/strict";
import { writeVolume } from "../../data/formats/mod.ts";
import type { Volume } from "../../data/volume.ts";
import {
  caseIdOfFileName,
  csvPathBeside,
  evaluateFolders,
  MissingPredictionsError,
} from "../../evaluation/evaluate_folders.ts";
import { GridMismatchError } from "../../evaluation/grid_match.ts";

const affine = Float64Array.of(0.8, 0, 0, -10, 0, 0.8, 0, 5, 0, 0, 2.5, 30, 0, 0, 0, 1);

function labelVolume(
  dims: [number, number, number],
  fill: (i: number, j: number, k: number) => number,
): Volume {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, index = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, index++) data[index] = fill(i, j, k);
    }
  }
  return { data, dims, channels: 1, affine, meta: {} };
}

const dims: [number, number, number] = [12, 10, 6];
const reference = labelVolume(
  dims,
  (i, j, k) => (i >= 2 && i < 8 && j >= 2 && j < 8 && k >= 1 && k < 5 ? 1 : 0),
);
const shifted = labelVolume(
  dims,
  (i, j, k) => (i >= 3 && i < 9 && j >= 2 && j < 8 && k >= 1 && k < 5 ? 1 : 0),
);

async function withFolders(run: (pred: string, ref: string, root: string) => Promise<void>) {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/pred`);
    await Deno.mkdir(`${root}/ref`);
    await run(`${root}/pred`, `${root}/ref`, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("case ids drop the image extension", () => {
  assert.equal(caseIdOfFileName("liver_001.nii.gz"), "liver_001");
  assert.equal(caseIdOfFileName("a.b.nii"), "a.b");
  assert.equal(caseIdOfFileName("x.mha"), "x");
  assert.equal(caseIdOfFileName("x.nrrd"), "x");
  assert.equal(caseIdOfFileName("notes.txt"), undefined);
  assert.equal(csvPathBeside("out/metrics.json"), "out/metrics.csv");
  assert.equal(csvPathBeside("out/report"), "out/report.csv");
});

Deno.test("evaluateFolders pairs files by case id and writes JSON and CSV", async () => {
  await withFolders(async (pred, ref) => {
    await writeVolume(`${ref}/case_a.nii.gz`, reference);
    await writeVolume(`${ref}/case_b.nrrd`, reference);
    await writeVolume(`${pred}/case_a.nii.gz`, reference);
    await writeVolume(`${pred}/case_b.mha`, shifted);
    await writeVolume(`${pred}/extra.nii`, reference);
    const result = await evaluateFolders(pred, ref);
    assert.deepEqual(result.report.cases.map((entry) => entry.caseId), ["case_a", "case_b"]);
    assert.deepEqual(result.predictionsWithoutReference, ["extra"]);
    assert.equal(result.report.cases[0].classes["1"].dice, 1);
    // Shifted one voxel (0.8 mm) along i: the two faces across i are 0.8 mm off.
    const shiftedMetrics = result.report.cases[1].classes["1"];
    assert.equal(shiftedMetrics.dice, 2 * 5 / 12);
    assert.ok(Math.abs(shiftedMetrics.hdMm - 0.8) < 1e-5);
    assert.equal(result.jsonPath, `${pred}/metrics.json`);
    const json = JSON.parse(await Deno.readTextFile(result.jsonPath));
    assert.equal(json.cases.length, 2);
    const csv = await Deno.readTextFile(result.csvPath);
    assert.equal(csv.trimEnd().split("\n").length, 1 + 2 + 1 + 1);
  });
});

Deno.test("evaluateFolders lists missing predictions and names mismatched grids", async () => {
  await withFolders(async (pred, ref, root) => {
    for (const id of ["c1", "c2", "c3"]) await writeVolume(`${ref}/${id}.nii.gz`, reference);
    await writeVolume(`${pred}/c2.nii.gz`, reference);
    await assert.rejects(
      evaluateFolders(pred, ref),
      (error: unknown) =>
        error instanceof MissingPredictionsError &&
        error.caseIds.join() === "c1,c3" && /c1, c3/.test(error.message),
    );
    const partial = await evaluateFolders(pred, ref, {
      skipMissingPredictions: true,
      jsonPath: `${root}/report.json`,
    });
    assert.deepEqual(partial.missingPredictions, ["c1", "c3"]);
    assert.equal(partial.csvPath, `${root}/report.csv`);
    await Deno.stat(`${root}/report.csv`);

    const otherGrid = labelVolume([12, 10, 5], () => 0);
    await writeVolume(`${pred}/c1.nii.gz`, otherGrid);
    await writeVolume(`${pred}/c3.nii.gz`, reference);
    await assert.rejects(
      evaluateFolders(pred, ref),
      (error: unknown) => error instanceof GridMismatchError && error.caseId === "c1",
    );
  });
});

Deno.test("tools/evaluate.ts prints help and evaluates folders", async () => {
  const script = new URL("../../tools/evaluate.ts", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  };
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--pred DIR/);
  assert.equal((await run("--pred", "x")).code, 2);
  await withFolders(async (pred, ref, root) => {
    await writeVolume(`${ref}/only.nii.gz`, reference);
    await writeVolume(`${pred}/only.nii.gz`, shifted);
    const result = await run(
      "--pred",
      pred,
      "--ref",
      ref,
      "--out",
      `${root}/m.json`,
      "--labels",
      "1,2",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /\[1\] only/);
    assert.match(result.stdout, /Wrote .*m\.json and .*m\.csv/);
    const json = JSON.parse(await Deno.readTextFile(`${root}/m.json`));
    assert.deepEqual(json.labels, [1, 2]);
    const missing = await run("--pred", root, "--ref", ref);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no prediction.*only/);
  });
});
