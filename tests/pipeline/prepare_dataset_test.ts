/**
 * Dataset preparation reuses a saved plan and fingerprint only when they fit the dataset,
 * and says which file is wrong otherwise instead of replacing it.
 */
import { strict as assert } from "node:assert";
import { DatasetLayoutError } from "../../data/datasets/errors.ts";
import { openDataset, prepareDataset, readPlanFile } from "../../pipeline/prepare_dataset.ts";
import { writeSyntheticDataset } from "../../pipeline/synthetic_dataset.ts";

async function tinyDataset(root: string, cases = 4, seed = 1): Promise<string> {
  return await writeSyntheticDataset(root, { cases, size: [10, 10, 6], seed });
}

Deno.test("prepareDataset writes the default plan once, then reuses plan.json", async () => {
  const root = await Deno.makeTempDir();
  const data = await tinyDataset(`${root}/Tiny`);
  const work = `${root}/work`;
  const first = await prepareDataset(data, work, { folds: 2 });
  assert.deepEqual(first.plan.targetSpacing, [1, 1, 1.5]);
  assert.equal(first.channels, 1);
  assert.equal(first.classes, 3);

  // A hand-edited plan is what the next preparation uses.
  const edited = { ...first.plan, targetSpacing: [2, 2, 2], normalization: [{ kind: "rescale" }] };
  await Deno.writeTextFile(`${work}/plan.json`, JSON.stringify(edited));
  const second = await prepareDataset(data, work);
  assert.deepEqual(second.plan, edited);
  assert.equal(second.preprocessed.stats.misses, 4);
  assert.deepEqual((await readPlanFile(`${work}/plan.json`, 1)).targetSpacing, [2, 2, 2]);

  // Explicit plan options replace it.
  const third = await prepareDataset(data, work, { plan: { intensity: "none" } });
  assert.deepEqual(third.plan.normalization, [{ kind: "none" }]);
  assert.deepEqual(third.plan.targetSpacing, [1, 1, 1.5]);
});

Deno.test("a plan.json that does not fit the dataset is refused, not overwritten", async () => {
  const root = await Deno.makeTempDir();
  const data = await tinyDataset(`${root}/Tiny`);
  const work = `${root}/work`;
  const { plan } = await prepareDataset(data, work, { folds: 2 });
  const planPath = `${work}/plan.json`;
  const cases: Array<[string, RegExp]> = [
    [
      JSON.stringify({ ...plan, normalization: [{ kind: "zscore" }, { kind: "zscore" }] }),
      /normalises 2 channel\(s\) but the dataset has 1/,
    ],
    [JSON.stringify({ ...plan, targetSpacing: [1, 0, 1] }), /"targetSpacing" must be/],
    [JSON.stringify({ ...plan, version: 2 }), /has version 2, expected 1/],
    [JSON.stringify({ ...plan, normalization: [{ kind: "ct" }] }), /"ct"\) needs finite/],
    ["{ not json", /is not valid JSON/],
  ];
  for (const [text, problem] of cases) {
    await Deno.writeTextFile(planPath, text);
    await assert.rejects(prepareDataset(data, work), (error: unknown) => {
      assert.ok(error instanceof DatasetLayoutError);
      assert.ok(error.message.startsWith(`${planPath}: `), error.message);
      assert.match(error.message, problem);
      return true;
    });
    assert.equal(await Deno.readTextFile(planPath), text);
  }
});

Deno.test("a fingerprint.json made for other cases is refused with its path", async () => {
  const root = await Deno.makeTempDir();
  const work = `${root}/work`;
  await prepareDataset(await tinyDataset(`${root}/A`, 4), work, { folds: 2 });
  const other = await tinyDataset(`${root}/B`, 5, 2);
  await assert.rejects(
    prepareDataset(other, work),
    (error: unknown) =>
      error instanceof DatasetLayoutError &&
      error.message.startsWith(
        `${work}/fingerprint.json: describes 4 case(s) but the dataset has 5`,
      ),
  );
});

Deno.test("openDataset names a missing or unrecognised root", async () => {
  const root = await Deno.makeTempDir();
  await assert.rejects(openDataset(`${root}/absent`), /absent: does not exist/);
  await assert.rejects(openDataset(root), /holds neither dataset.json/);
  await Deno.writeTextFile(`${root}/file.txt`, "");
  await assert.rejects(openDataset(`${root}/file.txt`), /file.txt: is not a folder/);
});
