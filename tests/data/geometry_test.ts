import assert from "node:assert/strict";
import { VolumeGeometryError } from "../../data/errors.ts";
import {
  affineFromParts,
  affineParts,
  axisCodes,
  canonicalAxisTransform,
  invertAffine,
  lpsToRasAffine,
  multiplyAffines,
  rasToLpsAffine,
  reorientToCanonical,
  transformVoxelAxes,
  undoReorientation,
  type Vec3,
  voxelToWorld,
  worldToVoxel,
} from "../../data/geometry.ts";
import type { Volume } from "../../data/volume.ts";
import { assertAllClose, obliqueAffine } from "./formats/test_helpers.ts";

Deno.test("geometry: affine parts round trip", () => {
  const affine = obliqueAffine();
  const parts = affineParts(affine);
  assertAllClose(parts.spacing, [0.8, 1.2, 2.5], 1e-12, "spacing");
  assertAllClose(parts.origin, [-30.5, 12.25, 40], 0, "origin");
  assertAllClose(affineFromParts(parts), affine, 1e-12, "affine");
  const d = parts.direction;
  for (let p = 0; p < 3; p++) {
    for (let q = 0; q < 3; q++) {
      const dot = d[p] * d[q] + d[3 + p] * d[3 + q] + d[6 + p] * d[6 + q];
      assert.ok(Math.abs(dot - (p === q ? 1 : 0)) < 1e-12, "direction columns are orthonormal");
    }
  }
});

Deno.test("geometry: voxel → world → voxel is the identity", () => {
  const affine = obliqueAffine();
  for (const index of [[0, 0, 0], [3, 1, 2], [0.5, -2, 7.25]] as Vec3[]) {
    assertAllClose(worldToVoxel(affine, voxelToWorld(affine, index)), index, 1e-12);
  }
  assertAllClose(
    multiplyAffines(affine, invertAffine(affine)),
    affineFromParts({
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
    }),
    1e-12,
  );
  assert.deepEqual(voxelToWorld(affine, [0, 0, 0]), [-30.5, 12.25, 40]);
});

Deno.test("geometry: singular affines raise a VolumeGeometryError", () => {
  const flat = affineFromParts({ spacing: [1, 0, 1], origin: [0, 0, 0] });
  assert.throws(() => invertAffine(flat), VolumeGeometryError);
});

Deno.test("geometry: LPS ↔ RAS negates world x and y and is its own inverse", () => {
  const lps = obliqueAffine();
  const ras = lpsToRasAffine(lps);
  const [x, y, z] = voxelToWorld(lps, [1, 2, 3]);
  assertAllClose(voxelToWorld(ras, [1, 2, 3]), [-x, -y, z], 1e-12);
  assert.deepEqual(rasToLpsAffine(ras), lps);
});

Deno.test("geometry: axis codes match nibabel's aff2axcodes", () => {
  assert.equal(axisCodes(affineFromParts({ spacing: [1, 1, 1], origin: [0, 0, 0] })), "RAS");
  assert.equal(
    axisCodes(lpsToRasAffine(affineFromParts({ spacing: [1, 1, 1], origin: [0, 0, 0] }))),
    "LPS",
  );
  // i → Superior, j → Left, k → Posterior
  const permuted = Float64Array.of(0, -2, 0, 0, 0, 0, -3, 0, 4, 0, 0, 0, 0, 0, 0, 1);
  assert.equal(axisCodes(permuted), "SLP");
  assert.equal(axisCodes(obliqueAffine()), "RAS");
});

function numberedVolume(affine: Float64Array, dims: Vec3 = [4, 3, 2], channels = 2): Volume {
  const count = dims[0] * dims[1] * dims[2] * channels;
  return {
    data: Int16Array.from({ length: count }, (_, n) => n),
    dims,
    channels,
    affine,
    meta: { note: "kept" },
  };
}

/** Every voxel of `after` must hold the value that `before` holds at the same world point. */
function assertVoxelsStayPut(before: Volume, after: Volume): void {
  const [ni, nj, nk] = after.dims;
  const toBefore = invertAffine(before.affine);
  for (let c = 0; c < after.channels; c++) {
    for (let k = 0; k < nk; k++) {
      for (let j = 0; j < nj; j++) {
        for (let i = 0; i < ni; i++) {
          const world = voxelToWorld(after.affine, [i, j, k]);
          const [bi, bj, bk] = voxelToWorld(toBefore, world).map(Math.round);
          const beforeIndex = ((c * before.dims[2] + bk) * before.dims[1] + bj) * before.dims[0] +
            bi;
          const afterIndex = ((c * nk + k) * nj + j) * ni + i;
          assert.equal(after.data[afterIndex], before.data[beforeIndex], `voxel ${[i, j, k, c]}`);
        }
      }
    }
  }
}

Deno.test("geometry: reorienting to RAS keeps every voxel's world position, undo restores it", () => {
  const permuted = Float64Array.of(0, -2, 0, 5, 0, 0, -3, 6, 4, 0, 0, 7, 0, 0, 0, 1);
  const lpsIdentity = lpsToRasAffine(affineFromParts({ spacing: [1, 2, 3], origin: [1, 2, 3] }));
  for (const affine of [permuted, lpsIdentity, obliqueAffine()]) {
    const volume = numberedVolume(affine);
    const { volume: canonical, applied } = reorientToCanonical(volume);
    assert.equal(axisCodes(canonical.affine), "RAS");
    assertVoxelsStayPut(volume, canonical);
    assert.equal(canonical.meta.note, "kept");
    const restored = undoReorientation(canonical, applied);
    assert.deepEqual(restored.dims, volume.dims);
    assert.deepEqual(restored.data, volume.data);
    assertAllClose(restored.affine, volume.affine, 1e-12, "affine");
  }
});

Deno.test("geometry: canonical transform of a permuted affine", () => {
  const permuted = Float64Array.of(0, -2, 0, 0, 0, 0, -3, 0, 4, 0, 0, 0, 0, 0, 0, 1);
  assert.deepEqual(canonicalAxisTransform(permuted), {
    sourceAxes: [1, 2, 0],
    flips: [true, true, false],
  });
  const volume = numberedVolume(permuted);
  assert.deepEqual(reorientToCanonical(volume).volume.dims, [3, 2, 4]);
});

Deno.test("geometry: identity transform shares data; bad permutations are rejected", () => {
  const volume = numberedVolume(obliqueAffine());
  const same = transformVoxelAxes(volume, { sourceAxes: [0, 1, 2], flips: [false, false, false] });
  assert.equal(same.data, volume.data);
  assert.throws(
    () => transformVoxelAxes(volume, { sourceAxes: [0, 0, 2], flips: [false, false, false] }),
    VolumeGeometryError,
  );
});

Deno.test("geometry: a slightly sheared affine still reorients cleanly", () => {
  const sheared = obliqueAffine();
  sheared[1] += 0.05;
  const volume = numberedVolume(lpsToRasAffine(sheared));
  const { volume: canonical } = reorientToCanonical(volume);
  assert.equal(axisCodes(canonical.affine), "RAS");
  assertVoxelsStayPut(volume, canonical);
});

interface ExpectedOrientation {
  affine: number[][];
  codes: string;
  canonical_shape: number[];
  canonical_affine: number[][];
}

Deno.test("geometry: axis codes and closest canonical match nibabel", async () => {
  const cases: ExpectedOrientation[] = JSON.parse(
    await Deno.readTextFile(new URL("../fixtures/data/orientation_expected.json", import.meta.url)),
  );
  for (const expected of cases) {
    const affine = Float64Array.from(expected.affine.flat());
    assert.equal(axisCodes(affine), expected.codes);
    const { volume } = reorientToCanonical(numberedVolume(affine));
    assert.deepEqual(volume.dims, expected.canonical_shape);
    assertAllClose(volume.affine, expected.canonical_affine.flat(), 1e-12, expected.codes);
  }
});
