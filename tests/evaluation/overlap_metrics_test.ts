import assert from "node:assert/strict";
import {
  DEFAULT_EMPTY_MASK_POLICY,
  resolveEmptyMaskPolicy,
} from "../../evaluation/empty_mask_policy.ts";
import { countConfusion, overlapMetrics } from "../../evaluation/overlap_metrics.ts";

Deno.test("confusion counts per label in one pass", () => {
  const prediction = [0, 1, 1, 2, 2, 2, 3, 0];
  const reference = [1, 1, 0, 2, 1, 2, 0, 0];
  assert.deepEqual(countConfusion(prediction, reference, [1, 2, 0]), [
    { truePositives: 1, falsePositives: 1, falseNegatives: 2 },
    { truePositives: 2, falsePositives: 1, falseNegatives: 0 },
    { truePositives: 1, falsePositives: 1, falseNegatives: 2 },
  ]);
  assert.throws(() => countConfusion([1], [1, 2], [1]), RangeError);
});

Deno.test("overlap metrics: hand-computed values", () => {
  // TP 6, FP 2, FN 4, voxel 0.5 mm³.
  const metrics = overlapMetrics(
    { truePositives: 6, falsePositives: 2, falseNegatives: 4 },
    0.5,
    DEFAULT_EMPTY_MASK_POLICY,
  );
  assert.equal(metrics.dice, 12 / 18);
  assert.equal(metrics.iou, 6 / 12);
  assert.equal(metrics.precision, 6 / 8);
  assert.equal(metrics.recall, 6 / 10);
  assert.equal(metrics.predictedVolumeMm3, 4);
  assert.equal(metrics.referenceVolumeMm3, 5);
  assert.equal(metrics.volumeDifferenceMm3, -1);
  assert.equal(metrics.relativeVolumeDifference, -0.2);
});

Deno.test("overlap metrics: empty-mask defaults (NaN where undefined, as nnU-Net)", () => {
  const policy = DEFAULT_EMPTY_MASK_POLICY;
  const bothEmpty = overlapMetrics(
    { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
    1,
    policy,
  );
  assert.ok(Number.isNaN(bothEmpty.dice));
  assert.ok(Number.isNaN(bothEmpty.iou));
  assert.ok(Number.isNaN(bothEmpty.precision));
  assert.ok(Number.isNaN(bothEmpty.recall));
  assert.equal(bothEmpty.volumeDifferenceMm3, 0);
  assert.ok(Number.isNaN(bothEmpty.relativeVolumeDifference));

  const missed = overlapMetrics(
    { truePositives: 0, falsePositives: 0, falseNegatives: 5 },
    2,
    policy,
  );
  assert.equal(missed.dice, 0);
  assert.equal(missed.iou, 0);
  assert.ok(Number.isNaN(missed.precision), "precision of an empty prediction is 0/0");
  assert.equal(missed.recall, 0);
  assert.equal(missed.volumeDifferenceMm3, -10);
  assert.equal(missed.relativeVolumeDifference, -1);

  const hallucinated = overlapMetrics(
    { truePositives: 0, falsePositives: 3, falseNegatives: 0 },
    1,
    policy,
  );
  assert.equal(hallucinated.dice, 0);
  assert.equal(hallucinated.precision, 0);
  assert.ok(Number.isNaN(hallucinated.recall), "recall of an empty reference is 0/0");
  assert.ok(Number.isNaN(hallucinated.relativeVolumeDifference));
});

Deno.test("overlap metrics: empty-mask values are configurable", () => {
  const policy = resolveEmptyMaskPolicy({
    bothEmptyScore: 1,
    undefinedRatio: 0,
    emptyReferenceRelativeVolume: Infinity,
  });
  const bothEmpty = overlapMetrics(
    { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
    1,
    policy,
  );
  assert.deepEqual([bothEmpty.dice, bothEmpty.iou, bothEmpty.precision, bothEmpty.recall], [
    1,
    1,
    1,
    1,
  ]);
  const missed = overlapMetrics(
    { truePositives: 0, falsePositives: 0, falseNegatives: 5 },
    1,
    policy,
  );
  assert.equal(missed.precision, 0);
  const hallucinated = overlapMetrics(
    { truePositives: 0, falsePositives: 3, falseNegatives: 0 },
    1,
    policy,
  );
  assert.equal(hallucinated.relativeVolumeDifference, Infinity);
  // An explicit undefined keeps the default rather than erasing it.
  assert.ok(Number.isNaN(resolveEmptyMaskPolicy({ bothEmptyScore: undefined }).bothEmptyScore));
});
