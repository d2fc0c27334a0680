import assert from "node:assert/strict";
import type { GridDims, GridSpacing } from "../../evaluation/distance_transform.ts";
import { resolveEmptyMaskPolicy } from "../../evaluation/empty_mask_policy.ts";
import { surfaceMetrics } from "../../evaluation/surface_metrics.ts";

const defaults = { toleranceMm: 1, policy: resolveEmptyMaskPolicy() };

/** A box mask `[lo, hi]` (inclusive voxel indices) on the grid. */
function boxMask(dims: GridDims, lo: GridDims, hi: GridDims): Uint8Array {
  const [ni, nj, nk] = dims;
  const mask = new Uint8Array(ni * nj * nk);
  for (let k = lo[2]; k <= hi[2]; k++) {
    for (let j = lo[1]; j <= hi[1]; j++) {
      for (let i = lo[0]; i <= hi[0]; i++) mask[(k * nj + j) * ni + i] = 1;
    }
  }
  return mask;
}

Deno.test("surface metrics: identical masks are at distance 0 with NSD 1", () => {
  const dims: GridDims = [9, 8, 7];
  const mask = boxMask(dims, [2, 2, 2], [6, 5, 4]);
  assert.deepEqual(surfaceMetrics(mask, mask, dims, [0.5, 1, 3], defaults), {
    hd95Mm: 0,
    hdMm: 0,
    assdMm: 0,
    nsd: 1,
  });
});

Deno.test("surface metrics: 1-D example computed by hand", () => {
  // Prediction voxels 0,1 and reference 1,2 at 2 mm spacing: directed distances
  // {2, 0} both ways, so HD 2, HD95 = 0 + 0.95·2, ASSD 1, NSD(1 mm) = 2/4.
  const metrics = surfaceMetrics([1, 1, 0, 0], [0, 1, 1, 0], [4, 1, 1], [2, 1, 1], defaults);
  assert.equal(metrics.hdMm, 2);
  assert.ok(Math.abs(metrics.hd95Mm - 1.9) < 1e-12);
  assert.equal(metrics.assdMm, 1);
  assert.equal(metrics.nsd, 0.5);
});

Deno.test("surface metrics: a box shifted along the coarse axis is off by the shift in mm", () => {
  // Thin slabs (one voxel thick in k) shifted by 2 voxels along k with 2.5 mm spacing:
  // every surface voxel is exactly 5 mm from the other slab.
  const dims: GridDims = [7, 6, 9];
  const spacing: GridSpacing = [0.7, 1.1, 2.5];
  const prediction = boxMask(dims, [1, 1, 3], [5, 4, 3]);
  const reference = boxMask(dims, [1, 1, 5], [5, 4, 5]);
  const metrics = surfaceMetrics(prediction, reference, dims, spacing, {
    ...defaults,
    toleranceMm: 5,
  });
  assert.equal(metrics.hdMm, 5);
  assert.equal(metrics.hd95Mm, 5);
  assert.equal(metrics.assdMm, 5);
  assert.equal(metrics.nsd, 1, "5 mm is within a 5 mm tolerance");
  const tighter = surfaceMetrics(prediction, reference, dims, spacing, {
    ...defaults,
    toleranceMm: 4.99,
  });
  assert.equal(tighter.nsd, 0);
});

Deno.test("surface metrics: an outlier voxel moves HD but hardly HD95", () => {
  const dims: GridDims = [20, 20, 20];
  const reference = boxMask(dims, [2, 2, 2], [9, 9, 9]);
  const prediction = reference.slice();
  prediction[(19 * 20 + 19) * 20 + 19] = 1; // far corner
  const metrics = surfaceMetrics(prediction, reference, dims, [1, 1, 1], defaults);
  assert.ok(Math.abs(metrics.hdMm - Math.hypot(10, 10, 10)) < 1e-12);
  assert.equal(metrics.hd95Mm, 0);
  assert.ok(metrics.nsd > 0.99 && metrics.nsd < 1);
});

Deno.test("surface metrics: empty-mask defaults and options", () => {
  const dims: GridDims = [5, 4, 3];
  const spacing: GridSpacing = [1, 2, 3];
  const empty = new Uint8Array(60);
  const some = boxMask(dims, [1, 1, 1], [2, 2, 1]);
  const bothEmpty = surfaceMetrics(empty, empty, dims, spacing, defaults);
  assert.ok(Object.values(bothEmpty).every(Number.isNaN), "all NaN when both are empty");
  const oneEmpty = surfaceMetrics(empty, some, dims, spacing, defaults);
  assert.ok(Number.isNaN(oneEmpty.hdMm) && Number.isNaN(oneEmpty.hd95Mm));
  assert.ok(Number.isNaN(oneEmpty.assdMm));
  assert.equal(oneEmpty.nsd, 0, "no surface point can be within tolerance of nothing");

  const policy = resolveEmptyMaskPolicy({
    bothEmptyScore: 1,
    bothEmptyDistance: 0,
    oneEmptyDistance: "diagonal",
  });
  assert.deepEqual(surfaceMetrics(empty, empty, dims, spacing, { toleranceMm: 1, policy }), {
    hd95Mm: 0,
    hdMm: 0,
    assdMm: 0,
    nsd: 1,
  });
  const diagonal = Math.hypot(4 * 1, 3 * 2, 2 * 3);
  const penalised = surfaceMetrics(some, empty, dims, spacing, { toleranceMm: 1, policy });
  assert.deepEqual(penalised, { hd95Mm: diagonal, hdMm: diagonal, assdMm: diagonal, nsd: 0 });
  const fixed = resolveEmptyMaskPolicy({ oneEmptyDistance: 373 });
  assert.equal(
    surfaceMetrics(some, empty, dims, spacing, { toleranceMm: 1, policy: fixed }).hdMm,
    373,
  );
});
