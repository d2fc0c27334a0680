import assert from "node:assert/strict";
import { invertAffine, type Vec3, voxelToWorld } from "../../../data/geometry.ts";
import {
  dimsForSpacing,
  ResampleError,
  resampleImage,
  resampleImageToSpacing,
  resampleLabel,
} from "../../../data/preprocessing/mod.ts";
import type { Volume } from "../../../data/volume.ts";
import { randomImage, testAffine, testRandom, volumeOf } from "../datasets/synthetic.ts";

function keys(distance: number): number {
  const x = Math.abs(distance);
  return x < 1
    ? 1.5 * x ** 3 - 2.5 * x ** 2 + 1
    : x < 2
    ? -0.5 * x ** 3 + 2.5 * x ** 2 - 4 * x + 2
    : 0;
}

/**
 * Float64 reference: each output voxel centre goes to world space through the output affine,
 * back into the input grid through the inverse input affine, and is interpolated there.
 */
function referenceSample(
  values: (channel: number, i: number, j: number, k: number) => number,
  input: Volume,
  channel: number,
  outputAffine: Float64Array,
  index: Vec3,
  kernel: "linear" | "cubic",
): number {
  const x = voxelToWorld(invertAffine(input.affine), voxelToWorld(outputAffine, index));
  const taps = x.map((coordinate, axis) => {
    const n = input.dims[axis];
    const clampIndex = (m: number) => Math.min(Math.max(m, 0), n - 1);
    if (kernel === "linear") {
      const c = Math.min(Math.max(coordinate, 0), n - 1);
      const f = Math.floor(c);
      return [[f, 1 - (c - f)], [clampIndex(f + 1), c - f]];
    }
    const f = Math.floor(coordinate);
    return [-1, 0, 1, 2].map((t) => [clampIndex(f + t), keys(coordinate - (f + t))]);
  });
  let sum = 0;
  for (const [k, wk] of taps[2]) {
    for (const [j, wj] of taps[1]) {
      for (const [i, wi] of taps[0]) sum += wk * wj * wi * values(channel, i, j, k);
    }
  }
  return sum;
}

function at(volume: Volume) {
  const [ni, nj, nk] = volume.dims;
  return (channel: number, i: number, j: number, k: number) =>
    volume.data[((channel * nk + k) * nj + j) * ni + i];
}

function assertSameExtent(a: Volume, b: Volume): void {
  for (const corner of [[-0.5, -0.5, -0.5], [1, 1, 1]]) {
    const pa = voxelToWorld(
      a.affine,
      corner.map((c, n) => (c === 1 ? a.dims[n] - 0.5 : c)) as Vec3,
    );
    const pb = voxelToWorld(
      b.affine,
      corner.map((c, n) => (c === 1 ? b.dims[n] - 0.5 : c)) as Vec3,
    );
    pa.forEach((x, n) => assert.ok(Math.abs(x - pb[n]) < 1e-9, `corner ${corner}: ${pa} vs ${pb}`));
  }
}

for (const kernel of ["linear", "cubic"] as const) {
  Deno.test(`resample: ${kernel} matches a float64 world-space reference`, () => {
    for (
      const [input, output] of [
        [[5, 4, 3], [9, 7, 5]],
        [[9, 7, 6], [4, 5, 3]],
        [[6, 5, 4], [6, 11, 2]],
      ] as [Vec3, Vec3][]
    ) {
      const image = randomImage(input, input[0] * 7, 2, testAffine([0.8, 1.2, 2], true));
      const result = resampleImage(image, output, kernel);
      assert.deepEqual(result.dims, output);
      assert.equal(result.channels, 2);
      assertSameExtent(image, result);
      const values = at(image);
      let worst = 0;
      for (let c = 0; c < 2; c++) {
        for (let k = 0; k < output[2]; k++) {
          for (let j = 0; j < output[1]; j++) {
            for (let i = 0; i < output[0]; i++) {
              const expected = referenceSample(values, image, c, result.affine, [i, j, k], kernel);
              worst = Math.max(worst, Math.abs(at(result)(c, i, j, k) - expected));
            }
          }
        }
      }
      assert.ok(worst < 1e-3, `${input} → ${output}: worst error ${worst}`);
    }
  });
}

Deno.test("resample: equal dims copy exactly; spacing targets keep the extent", () => {
  const image = volumeOf(Uint8Array.from({ length: 60 }, (_, n) => n * 3), [5, 4, 3]);
  const same = resampleImage(image, [5, 4, 3], "cubic");
  assert.deepEqual(Array.from(same.data), Array.from(image.data));
  assert.ok(same.data instanceof Float32Array);
  assert.deepEqual(dimsForSpacing([10, 10, 5], [0.8, 1.2, 3], [1, 1, 1]), [8, 12, 15]);
  const resampled = resampleImageToSpacing(image, [1, 1, 1]);
  assert.deepEqual(resampled.dims, [4, 5, 6]);
  assertSameExtent(image, resampled);
  assert.throws(() => resampleImage(image, [0, 1, 1]), ResampleError);
});

Deno.test("resample: labels keep their classes and follow per-class linear argmax", () => {
  const random = testRandom(9);
  const dims: Vec3 = [7, 6, 5];
  const label = volumeOf(
    Uint8Array.from({ length: 210 }, () => [0, 0, 1, 3][Math.floor(random() * 4)]),
    dims,
    testAffine(),
  );
  for (const output of [[11, 4, 9], [5, 9, 3]] as Vec3[]) {
    const result = resampleLabel(label, output);
    assertSameExtent(label, result);
    const seen = new Set(result.data);
    assert.ok([...seen].every((v) => v === 0 || v === 1 || v === 3), `classes ${[...seen]}`);
    const values = at(label);
    let n = 0;
    for (let k = 0; k < output[2]; k++) {
      for (let j = 0; j < output[1]; j++) {
        for (let i = 0; i < output[0]; i++, n++) {
          const scores = [0, 1, 3].map((cls) =>
            referenceSample(
              (_, a, b, c) => (values(0, a, b, c) === cls ? 1 : 0),
              label,
              0,
              result.affine,
              [i, j, k],
              "linear",
            )
          );
          const best = Math.max(...scores);
          const winners = [0, 1, 3].filter((_, m) => scores[m] > best - 1e-9);
          assert.ok(
            winners.includes(result.data[n]),
            `voxel ${[i, j, k]}: ${result.data[n]} ∉ ${winners}`,
          );
        }
      }
    }
    const nearest = resampleLabel(label, output, "nearest");
    assert.ok(new Set(nearest.data).size <= 3);
  }
  const same = resampleLabel(label, dims);
  assert.deepEqual(Array.from(same.data), Array.from(label.data));
  assert.throws(
    () => resampleLabel(volumeOf(Float32Array.of(0.5), [1, 1, 1]), [2, 2, 2]),
    ResampleError,
  );
});
