import assert from "node:assert/strict";
import {
  bothEmptyClassMetrics,
  CLASS_METRIC_NAMES,
  computeCaseMetrics,
  resolveMetricSettings,
} from "../../evaluation/case_metrics.ts";
import { resolveEmptyMaskPolicy } from "../../evaluation/empty_mask_policy.ts";
import type { LabelMap } from "../../evaluation/label_map.ts";
import { loadScipyReference } from "./fixtures.ts";

Deno.test("case metrics match the numpy/scipy reference on anisotropic noisy blobs", () => {
  for (const [caseIndex, reference] of loadScipyReference().metrics.entries()) {
    const grid = { dims: reference.dims, spacing: reference.spacing };
    const metrics = computeCaseMetrics(
      `case_${caseIndex}`,
      { ...grid, data: Uint8Array.from(reference.prediction) },
      { ...grid, data: Uint8Array.from(reference.reference) },
      [1, 2],
      { nsdToleranceMm: reference.toleranceMm },
    );
    for (const [label, expected] of Object.entries(reference.classes)) {
      const actual = metrics.classes[label];
      for (const [name, value] of Object.entries(expected)) {
        const got = actual[name as keyof typeof actual];
        assert.ok(
          Math.abs(got - value) <= 1e-9 * Math.max(1, Math.abs(value)),
          `case ${caseIndex} label ${label} ${name}: ${got}, scipy ${value}`,
        );
      }
      assert.ok(Object.keys(expected).length >= 13, "the fixture checks every metric");
    }
  }
});

Deno.test("case metrics: a class absent from both gets exactly the both-empty values", () => {
  const grid = { dims: [3, 2, 1] as const, spacing: [1, 1, 2] as const };
  const prediction: LabelMap = { ...grid, data: Uint8Array.of(1, 1, 0, 0, 0, 0) };
  const reference: LabelMap = { ...grid, data: Uint8Array.of(1, 0, 0, 0, 0, 0) };
  for (const emptyMasks of [{}, { bothEmptyScore: 1, bothEmptyDistance: 0 }]) {
    const metrics = computeCaseMetrics("c", prediction, reference, [1, 7], { emptyMasks });
    const expected = bothEmptyClassMetrics(resolveEmptyMaskPolicy(emptyMasks));
    assert.deepEqual(metrics.classes["7"], expected);
    assert.equal(metrics.classes["1"].dice, 2 / 3);
    assert.equal(metrics.classes["1"].predictedVolumeMm3, 4);
    assert.equal(metrics.classes["1"].hdMm, 1);
  }
  assert.deepEqual(
    Object.keys(bothEmptyClassMetrics(resolveEmptyMaskPolicy())).sort(),
    [
      ...CLASS_METRIC_NAMES,
    ].sort(),
  );
});

Deno.test("case metrics: mismatched grids and bad settings are rejected", () => {
  const data = new Uint8Array(8);
  const a: LabelMap = { data, dims: [2, 2, 2], spacing: [1, 1, 1] };
  assert.throws(
    () => computeCaseMetrics("c9", a, { ...a, dims: [4, 2, 1] }, [1]),
    /Case "c9".*differs/,
  );
  assert.throws(() => computeCaseMetrics("c9", a, { ...a, spacing: [1, 1, 2] }, [1]), /c9/);
  assert.throws(() => resolveMetricSettings({ nsdToleranceMm: -1 }), RangeError);
  assert.throws(() => resolveMetricSettings({ hausdorffPercentile: 101 }), RangeError);
});

Deno.test("case metrics: a 96³ case with 3 classes evaluates quickly", () => {
  const n = 96;
  const prediction = new Uint8Array(n * n * n);
  const reference = new Uint8Array(n * n * n);
  let index = 0;
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++, index++) {
        const inner = Math.hypot(i - 48, j - 48, k - 48);
        const shifted = Math.hypot(i - 45, j - 49, k - 48);
        reference[index] = inner < 15 ? 1 : inner < 30 ? 2 : inner < 42 ? 3 : 0;
        prediction[index] = shifted < 16 ? 1 : shifted < 29 ? 2 : shifted < 43 ? 3 : 0;
      }
    }
  }
  const grid = { dims: [n, n, n] as const, spacing: [0.8, 0.8, 2] as const };
  const started = performance.now();
  const metrics = computeCaseMetrics(
    "big",
    { ...grid, data: prediction },
    { ...grid, data: reference },
    [1, 2, 3],
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 5000, `took ${elapsed.toFixed(0)} ms`);
  for (const label of ["1", "2", "3"]) {
    assert.ok(metrics.classes[label].dice > 0.8);
    // The prediction is shifted by 3 voxels (2.4 mm) along i, so no distance exceeds ~3 mm.
    assert.ok(metrics.classes[label].hdMm < 4, `label ${label} HD ${metrics.classes[label].hdMm}`);
  }
});
