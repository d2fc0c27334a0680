/** Shared builders and assertions for the format tests. */

import assert from "node:assert/strict";
import { voxelToWorld } from "../../../data/geometry.ts";
import type { Volume, VoxelArray } from "../../../data/volume.ts";

/** Folder of committed fixtures, as an absolute path. */
export const FIXTURES: string = new URL("../../fixtures/data/", import.meta.url).pathname;

/** Every element type a volume can hold, with a constructor and a value range to test. */
export const VOXEL_TYPES: {
  name: string;
  make: (n: number) => VoxelArray;
  min: number;
  max: number;
}[] = [
  { name: "uint8", make: (n) => new Uint8Array(n), min: 0, max: 255 },
  { name: "int8", make: (n) => new Int8Array(n), min: -128, max: 127 },
  { name: "uint16", make: (n) => new Uint16Array(n), min: 0, max: 65535 },
  { name: "int16", make: (n) => new Int16Array(n), min: -32768, max: 32767 },
  { name: "uint32", make: (n) => new Uint32Array(n), min: 0, max: 4294967295 },
  { name: "int32", make: (n) => new Int32Array(n), min: -2147483648, max: 2147483647 },
  { name: "float32", make: (n) => new Float32Array(n), min: -3.4e38, max: 3.4e38 },
  { name: "float64", make: (n) => new Float64Array(n), min: -1e300, max: 1e300 },
];

/** A rotated, anisotropic, translated affine (20° about z, then 10° about x). */
export function obliqueAffine(): Float64Array {
  const [a, t] = [(20 * Math.PI) / 180, (10 * Math.PI) / 180];
  const rz = [[Math.cos(a), -Math.sin(a), 0], [Math.sin(a), Math.cos(a), 0], [0, 0, 1]];
  const rx = [[1, 0, 0], [0, Math.cos(t), -Math.sin(t)], [0, Math.sin(t), Math.cos(t)]];
  const spacing = [0.8, 1.2, 2.5];
  const origin = [-30.5, 12.25, 40];
  const affine = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let m = 0; m < 3; m++) sum += rz[r][m] * rx[m][c];
      affine[r * 4 + c] = sum * spacing[c];
    }
    affine[r * 4 + 3] = origin[r];
  }
  affine[15] = 1;
  return affine;
}

/** A volume of the given type filled with a pattern that reaches the type's extremes. */
export function patternVolume(
  type: (typeof VOXEL_TYPES)[number],
  dims: [number, number, number] = [5, 4, 3],
  channels = 1,
  affine: Float64Array = obliqueAffine(),
): Volume {
  const data = type.make(dims[0] * dims[1] * dims[2] * channels);
  for (let n = 0; n < data.length; n++) data[n] = (n * 37) % 101 - (type.min < 0 ? 50 : 0);
  data[0] = type.min;
  data[data.length - 1] = type.max;
  return { data, dims, channels, affine, meta: {} };
}

/** Asserts every element of `actual` is within `tolerance` of `expected`. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what = "values",
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let n = 0; n < actual.length; n++) {
    const difference = Math.abs(actual[n] - expected[n]);
    const scale = Math.max(1, Math.abs(expected[n]));
    assert.ok(
      difference <= tolerance * scale || (Number.isNaN(actual[n]) && Number.isNaN(expected[n])),
      `${what}[${n}]: ${actual[n]} vs ${expected[n]}`,
    );
  }
}

/** Asserts that the corner and a middle voxel of `after` lie where they lay in `before`. */
export function assertSameWorldGeometry(before: Volume, after: Volume, tolerance = 1e-4): void {
  assert.deepEqual(after.dims, before.dims);
  const [ni, nj, nk] = before.dims;
  for (const index of [[0, 0, 0], [ni - 1, nj - 1, nk - 1], [1, nj - 1, 0]] as const) {
    assertAllClose(
      voxelToWorld(after.affine, [...index]),
      voxelToWorld(before.affine, [...index]),
      tolerance,
      `world position of voxel ${index}`,
    );
  }
}

/** A fresh temporary folder, removed by the returned function. */
export async function temporaryFolder(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "mipcandy-data-test-" });
  return { path, remove: () => Deno.remove(path, { recursive: true }) };
}

/** Asserts that `promise` rejects with an error of `type` whose message mentions `path`. */
export async function assertRejectsNaming(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  path: string,
  pattern?: RegExp,
): Promise<Error> {
  const error = await promise.then(
    () => assert.fail("expected a rejection"),
    (caught: unknown) => caught as Error,
  );
  assert.ok(
    error instanceof type,
    `expected ${type.name}, got ${error?.constructor?.name}: ${error}`,
  );
  assert.ok(error.message.includes(path), `message should name ${path}: ${error.message}`);
  if (pattern) assert.match(error.message, pattern);
  return error;
}
