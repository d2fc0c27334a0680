import { NoDicomImagesError } from "../../../data/formats/dicom/mod.ts";
import assert from "node:assert/strict";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../../../data/errors.ts";
import { readVolume, volumeFormatOf, writeVolume } from "../../../data/formats/mod.ts";
import * as data from "../../../data/mod.ts";
import {
  assertAllClose,
  assertRejectsNaming,
  assertSameWorldGeometry,
  FIXTURES,
  temporaryFolder,
} from "./test_helpers.ts";

Deno.test("formats: extensions choose the format, case-insensitively", () => {
  assert.equal(volumeFormatOf("a/b/CASE.NII.GZ"), "nifti");
  assert.equal(volumeFormatOf("x.nii"), "nifti");
  assert.equal(volumeFormatOf("x.mhd"), "metaimage");
  assert.equal(volumeFormatOf("x.seg.nrrd"), "nrrd");
  assert.equal(volumeFormatOf("x.nhdr"), "nrrd");
  assert.throws(() => volumeFormatOf("x.png"), (error: Error) => {
    assert.ok(error instanceof UnsupportedVolumeFormatError);
    assert.match(error.message, /x\.png.*\.nii\.gz, \.nii, \.mha, \.mhd, \.nrrd, \.nhdr/);
    return true;
  });
});

Deno.test("formats: every format round-trips the same volume through readVolume/writeVolume", async () => {
  const folder = await temporaryFolder();
  try {
    const volume = await readVolume(FIXTURES + "oblique_int16.nii.gz");
    for (const extension of [".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".nhdr"]) {
      const path = `${folder.path}/case${extension}`;
      await writeVolume(path, volume);
      const back = await readVolume(path);
      assert.deepEqual(Array.from(back.data), Array.from(volume.data), extension);
      assertSameWorldGeometry(volume, back, 1e-4);
    }
  } finally {
    await folder.remove();
  }
});

Deno.test("formats: a folder without DICOM images is refused with a clear message", async () => {
  const folder = await temporaryFolder();
  try {
    await assertRejectsNaming(
      readVolume(folder.path),
      NoDicomImagesError,
      folder.path,
      /holds no files/,
    );
  } finally {
    await folder.remove();
  }
});

Deno.test("formats: a .nii.gz that is secretly a NRRD gives a typed error", async () => {
  const folder = await temporaryFolder();
  try {
    const path = `${folder.path}/liar.nii.gz`;
    await Deno.writeTextFile(path, "NRRD0004\ntype: float\n\n");
    await assertRejectsNaming(readVolume(path), VolumeFormatError, path, /not a NIfTI/);
  } finally {
    await folder.remove();
  }
});

Deno.test("formats: data/mod.ts exposes the public API", () => {
  for (
    const name of [
      "readVolume",
      "writeVolume",
      "reorientToCanonical",
      "voxelToWorld",
      "VolumeFormatError",
    ]
  ) {
    assert.equal(typeof (data as Record<string, unknown>)[name], "function", name);
  }
});

const HIPPOCAMPUS =
  new URL("../../../../shared/data/Task04_Hippocampus/", import.meta.url).pathname;
const hippocampusPresent = (() => {
  try {
    return Deno.statSync(HIPPOCAMPUS).isDirectory;
  } catch {
    return false;
  }
})();
if (!hippocampusPresent) {
  console.log(`skipping the Task04_Hippocampus test: ${HIPPOCAMPUS} is absent`);
}

interface HippocampusExpected {
  shape: number[];
  dtype: string;
  affine: number[][];
  sum: number;
  samples: [number, number, number, number][];
}

Deno.test({
  name: "formats: real Task04_Hippocampus cases match nibabel",
  ignore: !hippocampusPresent,
  fn: async () => {
    const expected: Record<string, HippocampusExpected> = JSON.parse(
      await Deno.readTextFile(`${FIXTURES}hippocampus_expected.json`),
    );
    for (const [name, facts] of Object.entries(expected)) {
      const volume = await readVolume(HIPPOCAMPUS + name);
      assert.deepEqual(volume.dims, facts.shape, name);
      assert.equal(volume.data.constructor.name.toLowerCase(), `${facts.dtype}array`, name);
      assertAllClose(volume.affine, facts.affine.flat(), 1e-9, `${name} affine`);
      let sum = 0;
      for (const value of volume.data) sum += value;
      assertAllClose([sum], [facts.sum], 1e-9, `${name} sum`);
      const [ni, nj] = volume.dims;
      for (const [i, j, k, value] of facts.samples) {
        assert.equal(volume.data[(k * nj + j) * ni + i], value, `${name} voxel ${[i, j, k]}`);
      }
    }
  },
});

/** Small deterministic generator so failures reproduce. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

Deno.test("formats: damaged files only ever raise VolumeFormatError", async () => {
  const folder = await temporaryFolder();
  try {
    const volume = await readVolume(FIXTURES + "four_d_int32.nii.gz");
    const random = randomSource(7);
    for (const extension of [".nii", ".nii.gz", ".mha", ".nrrd"]) {
      const good = `${folder.path}/good${extension}`;
      await writeVolume(good, volume);
      const bytes = await Deno.readFile(good);
      const headerLength = Math.min(bytes.length, extension === ".nii.gz" ? 60 : 400);
      for (let trial = 0; trial < 60; trial++) {
        const damaged = bytes.slice(
          0,
          trial % 3 === 0 ? Math.floor(random() * bytes.length) : bytes.length,
        );
        for (let flips = 0; flips < 1 + (trial % 4); flips++) {
          damaged[Math.floor(random() * Math.min(headerLength, damaged.length))] = Math.floor(
            random() * 256,
          );
        }
        const path = `${folder.path}/damaged${extension}`;
        await Deno.writeFile(path, damaged);
        await readVolume(path, { nonFinite: "keep" }).catch((error: Error) => {
          assert.ok(
            error instanceof VolumeFormatError &&
              !(error.cause instanceof RangeError || error.cause instanceof TypeError),
            `${extension} trial ${trial}: ${error.stack}`,
          );
        });
      }
    }
  } finally {
    await folder.remove();
  }
});
