import assert from "node:assert/strict";
import {
  distanceToSeeds,
  type GridDims,
  type GridSpacing,
  squaredDistanceToSeeds,
  squaredDistanceTransformInPlace,
} from "../../evaluation/distance_transform.ts";
import { loadScipyReference } from "./fixtures.ts";
import { randomMask, seededRandom } from "./seeded_random.ts";

/** Nearest-seed squared distance by checking every seed: the definition itself. */
function bruteForceSquared(seeds: Uint8Array, dims: GridDims, spacing: GridSpacing) {
  const [ni, nj] = dims;
  const coordinates = (
    index: number,
  ) => [index % ni, Math.floor(index / ni) % nj, Math.floor(index / (ni * nj))];
  const seedPoints = [...seeds.keys()].filter((index) => seeds[index] !== 0).map(coordinates);
  return Float64Array.from(seeds, (_, index) => {
    const point = coordinates(index);
    let best = Infinity;
    for (const seed of seedPoints) {
      let squared = 0;
      for (let axis = 0; axis < 3; axis++) {
        squared += ((point[axis] - seed[axis]) * spacing[axis]) ** 2;
      }
      best = Math.min(best, squared);
    }
    return best;
  });
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) {
  assert.equal(actual.length, expected.length);
  for (let index = 0; index < actual.length; index++) {
    const difference = Math.abs(actual[index] - expected[index]);
    assert.ok(
      difference <= tolerance * Math.max(1, Math.abs(expected[index])),
      `voxel ${index}: ${actual[index]} vs ${expected[index]}`,
    );
  }
}

Deno.test("distance transform matches brute force on random anisotropic masks", () => {
  const random = seededRandom(7);
  const grids: [GridDims, GridSpacing][] = [
    [[7, 5, 9], [0.7, 1.3, 2.5]],
    [[11, 3, 5], [2.2, 0.4, 1.0]],
    [[1, 9, 7], [1.0, 0.9, 3.3]],
    [[5, 1, 1], [0.5, 1, 1]],
    [[13, 11, 1], [0.3, 1.7, 1]],
    [[3, 3, 3], [1, 1, 1]],
  ];
  for (const [dims, spacing] of grids) {
    const length = dims[0] * dims[1] * dims[2];
    for (const share of [0.02, 0.1, 0.5]) {
      const seeds = randomMask(length, share, random);
      if (!seeds.includes(1)) seeds[Math.floor(random() * length)] = 1;
      const expected = bruteForceSquared(seeds, dims, spacing);
      assertClose(squaredDistanceToSeeds(seeds, dims, spacing), expected, 1e-12);
    }
  }
});

Deno.test("distance transform matches scipy's distance_transform_edt", () => {
  for (const reference of loadScipyReference().distanceTransform) {
    // scipy measures from foreground to the nearest background voxel: seeds are the zeros.
    const seeds = reference.mask.map((value) => (value === 0 ? 1 : 0));
    const distances = distanceToSeeds(seeds, reference.dims, reference.spacing);
    assertClose(distances, reference.distances, 1e-12);
  }
});

Deno.test("distance transform: small hand-checked grids and no-seed case", () => {
  assert.deepEqual([...distanceToSeeds([1, 0, 0, 0], [2, 2, 1], [3, 4, 1])], [0, 3, 4, 5]);
  const field = Float64Array.of(0, Infinity, Infinity);
  assert.deepEqual([...squaredDistanceTransformInPlace(field, [3, 1, 1], [2, 1, 1])], [0, 4, 16]);
  assert.deepEqual([...distanceToSeeds(new Uint8Array(6), [3, 2, 1], [1, 1, 1])], [
    Infinity,
    Infinity,
    Infinity,
    Infinity,
    Infinity,
    Infinity,
  ]);
  // A general cost field, not just seeds: min over q of (p - q)² + f(q).
  const costs = Float64Array.of(5, Infinity, 0.5, Infinity, 9);
  assert.deepEqual([...squaredDistanceTransformInPlace(costs, [5, 1, 1], [1, 1, 1])], [
    4.5,
    1.5,
    0.5,
    1.5,
    4.5,
  ]);
});

Deno.test("distance transform rejects inconsistent grids", () => {
  assert.throws(() => distanceToSeeds(new Uint8Array(5), [2, 2, 1], [1, 1, 1]), RangeError);
  assert.throws(() => distanceToSeeds(new Uint8Array(4), [2, 2, 1], [1, 0, 1]), RangeError);
});
