/**
 * `deno task preprocess`: help, `--data`/`--out` and the older positional form, one-line
 * errors (exit code 1) for a bad dataset path, and the plan it writes being the plan the
 * training-side preparation uses.
 */
import { strict as assert } from "node:assert";
import { prepareDataset, preparedWorkDir } from "../../pipeline/prepare_dataset.ts";
import { writeSyntheticDataset } from "../../pipeline/synthetic_dataset.ts";
import { preprocessMain } from "../../tools/preprocess.ts";
import { quietlyAsync as quietly } from "./console_capture.ts";

Deno.test("preprocess --help lists every option and exits 0", async () => {
  const help = await quietly(() => preprocessMain(["--help"]));
  assert.equal(help.result, 0);
  for (const option of ["--data", "--out", "--spacing", "--intensity", "--cubic", "--folds"]) {
    assert.match(help.out, new RegExp(`^  ${option} `, "m"), option);
  }
  assert.match(help.out, /--seed N/);
});

Deno.test("preprocess usage errors exit 2", async () => {
  for (
    const args of [
      [],
      ["only-one-positional"],
      ["--data", "d", "a", "b"],
      ["--data", "d", "--spacing", "1,1"],
      ["--data", "d", "--intensity", "loud"],
      ["--data", "d", "--bogus"],
    ]
  ) {
    const run = await quietly(() => preprocessMain(args));
    assert.equal(run.result, 2, args.join(" "));
    assert.match(run.err, /Usage: deno task preprocess|must be one of/);
  }
});

Deno.test("a missing dataset folder: one line naming the path, exit 1, no stack trace", async () => {
  const root = await Deno.makeTempDir();
  const missing = `${root}/no_such_dataset`;
  const tool = new URL("../../tools/preprocess.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", tool, "--data", missing, "--out", root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, stderr);
  assert.equal(stderr.trim(), `preprocess: ${missing}: does not exist. check the dataset path`);
  assert.doesNotMatch(stderr, /Uncaught|\n\s+at /);
  // Nothing was created for a dataset that is not there.
  await assert.rejects(Deno.stat(`${root}/no_such_dataset`), Deno.errors.NotFound);

  const notDataset = await quietly(() => preprocessMain([root, `${root}/work`]));
  assert.equal(notDataset.result, 1);
  assert.match(notDataset.err, new RegExp(`^preprocess: ${root}: holds neither dataset.json`));
});

Deno.test("the spacing chosen by preprocess is the spacing training prepares with", async () => {
  const root = await Deno.makeTempDir();
  const data = await writeSyntheticDataset(`${root}/Tiny`, { cases: 4, size: [12, 12, 8] });
  const runs = `${root}/runs`;
  const first = await quietly(() =>
    preprocessMain(["--data", data, "--out", runs, "--spacing", "2,2,3", "--cubic", "--folds", "2"])
  );
  assert.equal(first.result, 0, first.err);
  assert.match(first.out, /4 cases \(4 preprocessed, 0 cached\), spacing 2 × 2 × 3 mm, 2 folds/);
  const workDir = preparedWorkDir(data, runs);
  assert.equal(workDir, `${runs}/Tiny`);
  const planText = await Deno.readTextFile(`${workDir}/plan.json`);

  // What trainFold and `deno task plan` call: no plan options, the same work folder.
  const prepared = await prepareDataset(data, workDir);
  assert.deepEqual(prepared.plan.targetSpacing, [2, 2, 3]);
  assert.equal(prepared.plan.imageInterpolation, "cubic");
  assert.deepEqual(prepared.preprocessed.stats, { hits: 4, misses: 0 });
  assert.equal(prepared.splits.length, 2);
  assert.equal(prepared.classes, 3);
  assert.equal(await Deno.readTextFile(`${workDir}/plan.json`), planText);
  const { image } = await prepared.preprocessed.load(prepared.preprocessed.ids[0]);
  assert.ok(Math.abs(image.affine[0]) > 1.99 && Math.abs(image.affine[0]) < 2.01);

  // The older positional form writes into the output folder itself; rerunning with other
  // options rewrites the plan and redoes the cases.
  const positional = await quietly(() => preprocessMain(["--folds", "2", data, `${root}/flat`]));
  assert.equal(positional.result, 0, positional.err);
  const defaults = JSON.parse(await Deno.readTextFile(`${root}/flat/plan.json`));
  assert.deepEqual(defaults.targetSpacing, [1, 1, 1.5]);
  const again = await quietly(() =>
    preprocessMain(["--data", data, "--out", runs, "--spacing", "1.5,1.5,1.5"])
  );
  assert.equal(again.result, 0, again.err);
  assert.match(again.out, /4 preprocessed, 0 cached\), spacing 1.5 × 1.5 × 1.5 mm, 2 folds/);
  assert.deepEqual((await prepareDataset(data, workDir)).plan.targetSpacing, [1.5, 1.5, 1.5]);
});
