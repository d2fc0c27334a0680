import assert from "node:assert/strict";
import type { Volume } from "../../data/volume.ts";
import { Evaluator } from "../../evaluation/evaluator.ts";
import { GridMismatchError } from "../../evaluation/grid_match.ts";
import { reportToCsv, reportToJson } from "../../evaluation/summary.ts";

const identity = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);

function volume(labels: number[], dims: [number, number, number], affine = identity): Volume {
  return { data: Uint8Array.from(labels), dims, channels: 1, affine, meta: {} };
}

Deno.test("Evaluator: per-case and per-class metrics with NaN-ignoring means", async () => {
  const dims: [number, number, number] = [4, 1, 1];
  const report = await new Evaluator().evaluate([
    { caseId: "a", prediction: volume([1, 1, 0, 2], dims), reference: volume([1, 1, 0, 2], dims) },
    { caseId: "b", prediction: volume([1, 0, 0, 0], dims), reference: volume([1, 1, 0, 0], dims) },
  ]);
  assert.deepEqual(report.labels, [1, 2]);
  assert.equal(report.cases[0].classes["1"].dice, 1);
  assert.equal(report.cases[1].classes["1"].dice, 2 / 3);
  // Label 2 is absent from case b: filled with the both-empty values (NaN Dice by default).
  assert.ok(Number.isNaN(report.cases[1].classes["2"].dice));
  assert.equal(report.perClass["1"].mean.dice, (1 + 2 / 3) / 2);
  assert.equal(report.perClass["2"].mean.dice, 1, "NaN of case b is ignored");
  assert.equal(report.perClass["2"].validCases.dice, 1);
  assert.ok(Math.abs(report.foregroundMean.dice - (5 / 6 + 1) / 2) < 1e-15);
});

Deno.test("Evaluator: both-empty score option changes the means", async () => {
  const dims: [number, number, number] = [2, 1, 1];
  const cases = [
    { caseId: "x", prediction: volume([0, 0], dims), reference: volume([0, 0], dims) },
    { caseId: "y", prediction: volume([1, 0], dims), reference: volume([0, 1], dims) },
  ];
  const nnUNetLike = await new Evaluator({ labels: [1] }).evaluate(cases);
  assert.equal(nnUNetLike.perClass["1"].mean.dice, 0);
  const rewarding = await new Evaluator({ labels: [1], emptyMasks: { bothEmptyScore: 1 } })
    .evaluate(cases);
  assert.equal(rewarding.perClass["1"].mean.dice, 0.5);
});

Deno.test("Evaluator: grid mismatches name the case", () => {
  const evaluator = new Evaluator({ labels: [1] });
  const reference = volume([1, 0, 0, 0], [2, 2, 1]);
  assert.throws(
    () =>
      evaluator.evaluateCase({
        caseId: "liver_007",
        prediction: volume([1, 0, 0, 0], [4, 1, 1]),
        reference,
      }),
    (error: unknown) =>
      error instanceof GridMismatchError && error.caseId === "liver_007" &&
      /liver_007.*dims \[4, 1, 1\].*\[2, 2, 1\]/.test(error.message),
  );
  const shifted = identity.slice();
  shifted[3] = 0.5; // origin moved half a voxel along x
  assert.throws(
    () =>
      evaluator.evaluateCase({
        caseId: "liver_008",
        prediction: volume([1, 0, 0, 0], [2, 2, 1], shifted),
        reference,
      }),
    (error: unknown) =>
      error instanceof GridMismatchError && /liver_008.*row 0, column 3/.test(error.message),
  );
  const rounded = identity.slice();
  rounded[0] = 1 + 1e-5; // float32 header rounding is tolerated
  evaluator.evaluateCase({
    caseId: "ok",
    prediction: volume([1, 0, 0, 0], [2, 2, 1], rounded),
    reference,
  });
  const twoChannels: Volume = { ...volume([1, 0, 0, 0, 1, 0, 0, 0], [2, 2, 1]), channels: 2 };
  assert.throws(
    () => evaluator.evaluateCase({ caseId: "c", prediction: twoChannels, reference: twoChannels }),
    /2 channels/,
  );
});

Deno.test("Evaluator: rejects repeated case ids and bad labels", async () => {
  const v = volume([1, 0], [2, 1, 1]);
  await assert.rejects(
    new Evaluator().evaluate([
      { caseId: "same", prediction: v, reference: v },
      { caseId: "same", prediction: v, reference: v },
    ]),
    /"same" appears twice/,
  );
  assert.throws(() => new Evaluator({ labels: [] }), RangeError);
  assert.throws(() => new Evaluator({ labels: [1, 1] }), RangeError);
});

Deno.test("Evaluator: writes metrics.json and metrics.csv; spacing comes from the affine", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const affine = Float64Array.of(0, 2, 0, 10, -3, 0, 0, 20, 0, 0, 1.5, 30, 0, 0, 0, 1);
    const dims: [number, number, number] = [3, 1, 1];
    let progress = 0;
    const evaluator = new Evaluator({ labels: [1, 2], onCaseEvaluated: () => progress++ });
    const report = await evaluator.evaluateToDirectory(
      [{
        caseId: 'odd, "name"',
        prediction: volume([1, 1, 0], dims, affine),
        reference: volume([0, 1, 1], dims, affine),
      }],
      `${directory}/out`,
    );
    assert.equal(progress, 1);
    // Spacing along i is the length of the first affine column: 3 mm.
    assert.equal(report.cases[0].classes["1"].hdMm, 3);
    assert.equal(report.cases[0].classes["1"].predictedVolumeMm3, 2 * 3 * 2 * 1.5);
    const json = JSON.parse(await Deno.readTextFile(`${directory}/out/metrics.json`));
    assert.equal(json.cases[0].caseId, 'odd, "name"');
    assert.equal(json.cases[0].classes["2"].dice, null, "NaN is written as null");
    assert.equal(json.settings.nsdToleranceMm, 1);
    assert.equal(reportToJson(report), await Deno.readTextFile(`${directory}/out/metrics.json`));
    const csv = await Deno.readTextFile(`${directory}/out/metrics.csv`);
    assert.equal(csv, reportToCsv(report));
    const lines = csv.trimEnd().split("\n");
    assert.ok(lines[0].startsWith("case,label,dice,iou,precision,recall,hd95Mm,"));
    assert.ok(lines[1].startsWith('"odd, ""name""",1,0.5,'));
    assert.ok(lines[2].startsWith('"odd, ""name""",2,NaN,'));
    assert.ok(lines[3].startsWith("mean,1,0.5,"));
    assert.ok(lines[5].startsWith("mean,all,0.5,"));
    assert.equal(lines.length, 6);
    assert.equal(lines.every((line) => line.split(",").length >= 17), true);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
