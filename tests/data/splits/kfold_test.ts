import assert from "node:assert/strict";
import {
  kFoldSplits,
  loadOrCreateSplits,
  seededRandom,
  selectFold,
  SplitError,
} from "../../../data/splits/mod.ts";
import { DatasetLayoutError } from "../../../data/datasets/mod.ts";

const IDS = Array.from({ length: 23 }, (_, n) => `case_${String(n).padStart(3, "0")}`);

Deno.test("kfold: folds are disjoint, cover every case, and differ by at most one in size", () => {
  const splits = kFoldSplits(IDS, 5, 7);
  assert.equal(splits.length, 5);
  const allVal = splits.flatMap((split) => split.val);
  assert.deepEqual([...allVal].sort(), IDS);
  assert.deepEqual(splits.map((split) => split.val.length), [5, 5, 5, 4, 4]);
  for (const split of splits) {
    assert.equal(split.train.length + split.val.length, IDS.length);
    assert.ok(split.val.every((id) => !split.train.includes(id)));
  }
});

Deno.test("kfold: deterministic for a seed, independent of input order, seed-sensitive", () => {
  const a = kFoldSplits(IDS, 5, 7);
  assert.deepEqual(kFoldSplits([...IDS].reverse(), 5, 7), a);
  assert.notDeepEqual(kFoldSplits(IDS, 5, 8), a);
  const shuffled = a.flatMap((split) => split.val);
  assert.notDeepEqual(shuffled, IDS, "cases are shuffled, not dealt in order");
  const random = seededRandom(1);
  const values = Array.from({ length: 1000 }, random);
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
  assert.throws(() => kFoldSplits(["a", "b"], 5), SplitError);
  assert.throws(() => kFoldSplits(["a", "a", "b", "c", "d", "e"], 5), SplitError);
});

Deno.test("kfold: splits.json is created once and reloaded; fold 'all' trains on everything", async () => {
  const path = `${await Deno.makeTempDir()}/splits.json`;
  const created = await loadOrCreateSplits(path, IDS, 5, 3);
  const onDisk = JSON.parse(await Deno.readTextFile(path));
  assert.deepEqual(onDisk, created);
  // A different seed does not matter once the file exists: the saved split wins.
  assert.deepEqual(await loadOrCreateSplits(path, IDS, 5, 99), created);
  assert.deepEqual(selectFold(created, 2), created[2]);
  assert.deepEqual(selectFold(created, "all"), { train: IDS, val: [] });
  assert.throws(() => selectFold(created, 5), SplitError);
  await assert.rejects(loadOrCreateSplits(path, [...IDS, "new_case"]), DatasetLayoutError);
  await Deno.writeTextFile(path, JSON.stringify([{ train: [1] }]));
  await assert.rejects(loadOrCreateSplits(path, IDS), /not a list of \{train, val\}/);
  await Deno.remove(path.slice(0, -12), { recursive: true });
});
