import assert from "node:assert/strict";
import { NormalizationError, normalizeImage } from "../../../data/preprocessing/mod.ts";
import { volumeOf } from "../datasets/synthetic.ts";

function close(actual: ArrayLike<number>, expected: number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let n = 0; n < expected.length; n++) {
    assert.ok(
      Math.abs(actual[n] - expected[n]) < tolerance,
      `[${n}] ${actual[n]} vs ${expected[n]}`,
    );
  }
}

Deno.test("normalization: z-score over all voxels or the nonzero region", () => {
  const image = volumeOf(Float32Array.of(0, 2, 4, 0, 6, 0), [3, 2, 1]);
  const mean = 2, std = Math.sqrt((4 + 0 + 4 + 4 + 16 + 4) / 6);
  close(
    normalizeImage(image, [{ kind: "zscore" }]).data,
    [0, 2, 4, 0, 6, 0].map((v) => (v - mean) / std),
  );
  // Nonzero voxels 2, 4, 6: mean 4, std sqrt(8/3); zeros stay 0.
  const s = Math.sqrt(8 / 3);
  close(
    normalizeImage(image, [{ kind: "zscore", region: "nonzero" }]).data,
    [0, -2 / s, 0, 0, 2 / s, 0],
  );
  const constant = normalizeImage(volumeOf(new Uint8Array(6).fill(7), [3, 2, 1]), [{
    kind: "zscore",
  }]);
  assert.ok(constant.data.every((v) => v === 0), "a constant image becomes zeros, not NaN");
});

Deno.test("normalization: CT clipping, rescale, none, and per-channel schemes", () => {
  const image = volumeOf(Float32Array.of(-1000, 0, 40, 3000, 1, 2, 3, 5), [4, 1, 1], undefined, 2);
  const result = normalizeImage(image, [
    { kind: "ct", mean: 40, std: 20, lower: -100, upper: 200 },
    { kind: "rescale" },
  ]);
  close(result.data, [-7, -2, 0, 8, 0, 0.25, 0.5, 1]);
  assert.ok(result.data instanceof Float32Array);
  assert.deepEqual(result.affine, image.affine);
  close(normalizeImage(image, [{ kind: "none" }]).data, Array.from(image.data));
  assert.throws(
    () => normalizeImage(image, [{ kind: "none" }, { kind: "none" }, { kind: "none" }]),
    NormalizationError,
  );
});
