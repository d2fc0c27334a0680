import assert from "node:assert/strict";
import {
  InvalidVolumeError,
  NonFiniteVoxelError,
  UnsupportedVolumeFormatError,
  VolumeFormatError,
} from "../../../data/errors.ts";
import { decodeNifti, encodeNifti, readNifti, writeNifti } from "../../../data/formats/nifti.ts";
import { gzipBytes } from "../../../data/formats/compression.ts";
import type { NiftiHeader } from "../../../data/formats/nifti_header.ts";
import {
  assertAllClose,
  assertRejectsNaming,
  assertSameWorldGeometry,
  FIXTURES,
  obliqueAffine,
  patternVolume,
  temporaryFolder,
  VOXEL_TYPES,
} from "./test_helpers.ts";

interface ExpectedNifti {
  shape: number[];
  dtype: string;
  affine: number[][];
  values: (number | null)[];
  sform_code: number;
  qform_code: number;
  channels?: number;
}

const EXPECTED: Record<string, ExpectedNifti> = JSON.parse(
  await Deno.readTextFile(`${FIXTURES}nifti_expected.json`),
);

const ARRAY_TYPE_OF_DTYPE: Record<string, string> = {
  uint8: "Uint8Array",
  int8: "Int8Array",
  uint16: "Uint16Array",
  int16: "Int16Array",
  uint32: "Uint32Array",
  int32: "Int32Array",
  float32: "Float32Array",
  ">f4": "Float32Array",
  float64: "Float64Array",
};

for (const [name, expected] of Object.entries(EXPECTED)) {
  if (name.startsWith("non_finite")) continue;
  Deno.test(`nifti: reads nibabel fixture ${name}`, async () => {
    const volume = await readNifti(FIXTURES + name);
    assert.deepEqual(volume.dims, expected.shape.slice(0, 3));
    const channels = expected.channels ?? expected.shape.slice(3).reduce((a, b) => a * b, 1);
    assert.equal(volume.channels, channels);
    assert.equal(volume.data.constructor.name, ARRAY_TYPE_OF_DTYPE[expected.dtype]);
    assertAllClose(volume.affine, expected.affine.flat(), 1e-6, "affine");
    const tolerance = volume.data instanceof Float32Array ? 1e-6 : 0;
    assertAllClose(volume.data, expected.values as number[], tolerance, "voxels");
  });
}

Deno.test("nifti: reports where the affine came from, like nibabel", async () => {
  const source = async (name: string) => (await readNifti(FIXTURES + name)).meta.affineSource;
  assert.equal(await source("oblique_int16.nii.gz"), "sform");
  assert.equal(await source("qform_only_uint16.nii.gz"), "qform");
  assert.equal(await source("no_xform_uint8.nii"), "spacing");
  assert.equal((await readNifti(FIXTURES + "nifti2_float64.nii")).meta.format, "nifti2");
  assert.equal((await readNifti(FIXTURES + "big_endian_float32.nii")).meta.format, "nifti1");
});

Deno.test("nifti: NaN/Inf voxels raise by default, or are kept or zeroed on request", async () => {
  const path = FIXTURES + "non_finite_float32.nii";
  const error = await assertRejectsNaming(readNifti(path), NonFiniteVoxelError, path);
  assert.equal((error as NonFiniteVoxelError).count, 2);
  const kept = await readNifti(path, { nonFinite: "keep" });
  assert.equal(kept.data.filter((v) => !Number.isFinite(v)).length, 2);
  const zeroed = await readNifti(path, { nonFinite: "zero" });
  assert.ok(zeroed.data.every(Number.isFinite));
  assertAllClose(
    zeroed.data,
    EXPECTED["non_finite_float32.nii"].values.map((v) => v ?? 0),
    0,
  );
});

Deno.test("nifti: round trip of every datatype through .nii and .nii.gz", async () => {
  const folder = await temporaryFolder();
  try {
    for (const type of VOXEL_TYPES) {
      for (const extension of [".nii", ".nii.gz"]) {
        const volume = patternVolume(type);
        const path = `${folder.path}/${type.name}${extension}`;
        await writeNifti(path, volume);
        const back = await readNifti(path);
        assert.equal(back.data.constructor, volume.data.constructor, type.name);
        assert.deepEqual(Array.from(back.data), Array.from(volume.data), type.name);
        assertSameWorldGeometry(volume, back);
        const header = back.meta.nifti as NiftiHeader;
        assert.equal(header.sformCode, 2);
        assert.equal(header.qformCode, 2);
      }
    }
  } finally {
    await folder.remove();
  }
});

Deno.test("nifti: written qform describes the same geometry as the sform", () => {
  for (const affine of [obliqueAffine(), mirrorK(obliqueAffine())]) {
    const volume = patternVolume(VOXEL_TYPES[0], [5, 4, 3], 1, affine);
    const bytes = encodeNifti("mem.nii", volume);
    new DataView(bytes.buffer).setInt16(254, 0, true); // sform_code = 0: readers fall to qform
    const fromQform = decodeNifti("mem.nii", bytes);
    assert.equal(fromQform.meta.affineSource, "qform");
    assertSameWorldGeometry(volume, fromQform);
  }
});

Deno.test("nifti: sheared affines keep the sform and mark the qform unused", () => {
  const sheared = obliqueAffine();
  sheared[1] += 0.3;
  const bytes = encodeNifti("mem.nii", patternVolume(VOXEL_TYPES[0], [5, 4, 3], 1, sheared));
  const back = decodeNifti("mem.nii", bytes);
  assert.equal((back.meta.nifti as NiftiHeader).qformCode, 0);
  assertAllClose(back.affine, sheared, 1e-6, "affine");
});

Deno.test("nifti: round trips keep 4-D, 5-D, RGB and NIfTI-2 layouts", async () => {
  for (
    const name of [
      "four_d_int32.nii.gz",
      "five_d_float32.nii.gz",
      "rgb24.nii",
      "nifti2_float64.nii",
    ]
  ) {
    const volume = await readNifti(FIXTURES + name);
    const back = decodeNifti(name, encodeNifti(name, volume));
    assert.deepEqual(Array.from(back.data), Array.from(volume.data), name);
    assert.equal(back.channels, volume.channels);
    assert.deepEqual(
      (back.meta.nifti as NiftiHeader).dim,
      (volume.meta.nifti as NiftiHeader).dim,
      name,
    );
    assert.equal(back.meta.datatype, volume.meta.datatype);
    assertSameWorldGeometry(volume, back);
  }
  const forced = decodeNifti(
    "x.nii",
    encodeNifti("x.nii", patternVolume(VOXEL_TYPES[6]), { version: 2 }),
  );
  assert.equal(forced.meta.format, "nifti2");
});

Deno.test("nifti: scaled images read as float32 and write back unscaled", async () => {
  const volume = await readNifti(FIXTURES + "scaled_int16.nii.gz");
  assert.ok(volume.data instanceof Float32Array);
  assert.equal(volume.meta.scaled, true);
  const back = decodeNifti("x.nii", encodeNifti("x.nii", volume));
  assert.equal(back.meta.scaled, false);
  assert.deepEqual(Array.from(back.data), Array.from(volume.data));
});

function mirrorK(affine: Float64Array): Float64Array {
  const mirrored = Float64Array.from(affine);
  for (const row of [0, 1, 2]) mirrored[row * 4 + 2] *= -1;
  return mirrored;
}

/** Writes `bytes` to a temporary `broken.nii`. */
async function brokenFile(
  bytes: Uint8Array,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const folder = await temporaryFolder();
  const path = `${folder.path}/broken.nii`;
  await Deno.writeFile(path, bytes);
  return { path, remove: folder.remove };
}

async function uncompressedFixture(): Promise<Uint8Array> {
  const volume = await readNifti(FIXTURES + "oblique_int16.nii.gz");
  return encodeNifti("x.nii", volume);
}

const RAW = await uncompressedFixture();

const CORRUPT_CASES: {
  what: string;
  bytes: () => Uint8Array;
  type: abstract new (...args: never[]) => Error;
  pattern: RegExp;
}[] = [
  {
    what: "truncated gzip",
    bytes: () => gzipBytes(RAW).subarray(0, 150),
    type: VolumeFormatError,
    pattern: /gzip/,
  },
  {
    what: "gzip with damaged data",
    bytes: () => {
      const bytes = gzipBytes(RAW).slice();
      for (let n = 40; n < 60; n++) bytes[n] ^= 0x5a;
      return bytes;
    },
    type: VolumeFormatError,
    pattern: /gzip/,
  },
  {
    what: "bad magic",
    bytes: () => withBytes(RAW, 344, [0x78, 0x78, 0x78, 0]),
    type: VolumeFormatError,
    pattern: /magic/,
  },
  {
    what: "not NIfTI at all",
    bytes: () => new TextEncoder().encode("hello, this is not an image".repeat(20)),
    type: VolumeFormatError,
    pattern: /not a NIfTI/,
  },
  {
    what: "fewer voxels than the dims need",
    bytes: () => RAW.subarray(0, RAW.length - 10),
    type: VolumeFormatError,
    pattern: /truncated/,
  },
  {
    what: "vox_offset beyond the file",
    bytes: () => withFloat32(RAW, 108, 1e6),
    type: VolumeFormatError,
    pattern: /vox_offset/,
  },
  {
    what: "vox_offset inside the header",
    bytes: () => withFloat32(RAW, 108, 100),
    type: VolumeFormatError,
    pattern: /vox_offset/,
  },
  {
    what: "unknown datatype",
    bytes: () => withInt16(RAW, 70, 999),
    type: VolumeFormatError,
    pattern: /datatype code 999/,
  },
  {
    what: "complex datatype",
    bytes: () => withInt16(RAW, 70, 32),
    type: UnsupportedVolumeFormatError,
    pattern: /complex64/,
  },
  {
    what: "impossible dim[0]",
    bytes: () => withInt16(RAW, 40, 12),
    type: VolumeFormatError,
    pattern: /dim\[0\]/,
  },
  {
    what: "zero-length axis",
    bytes: () => withInt16(RAW, 44, 0),
    type: VolumeFormatError,
    pattern: /positive integer/,
  },
  {
    what: "header of a .hdr/.img pair",
    bytes: () => withBytes(RAW, 344, [0x6e, 0x69, 0x31, 0]),
    type: UnsupportedVolumeFormatError,
    pattern: /\.hdr\/\.img/,
  },
  {
    what: "file shorter than a header",
    bytes: () => RAW.subarray(0, 200),
    type: VolumeFormatError,
    pattern: /truncated/,
  },
];

for (const testCase of CORRUPT_CASES) {
  Deno.test(`nifti: ${testCase.what} gives a typed error naming the file`, async () => {
    const file = await brokenFile(testCase.bytes());
    try {
      await assertRejectsNaming(readNifti(file.path), testCase.type, file.path, testCase.pattern);
    } finally {
      await file.remove();
    }
  });
}

Deno.test("nifti: a rejected write leaves the existing file untouched", async () => {
  const folder = await temporaryFolder();
  try {
    const path = `${folder.path}/keep.nii.gz`;
    const good = patternVolume(VOXEL_TYPES[3]);
    await writeNifti(path, good);
    const before = await Deno.readFile(path);
    const broken = { ...good, data: good.data.subarray(0, 10) };
    await assertRejectsNaming(writeNifti(path, broken), InvalidVolumeError, path, /voxels/);
    const singular = { ...good, affine: new Float64Array(16) };
    await assertRejectsNaming(writeNifti(path, singular), InvalidVolumeError, path, /singular/);
    assert.deepEqual(await Deno.readFile(path), before);
    assert.deepEqual(
      Array.from(Deno.readDirSync(folder.path), (entry) => entry.name),
      ["keep.nii.gz"],
    );
  } finally {
    await folder.remove();
  }
});

function withBytes(bytes: Uint8Array, at: number, values: number[]): Uint8Array {
  const copy = bytes.slice();
  copy.set(values, at);
  return copy;
}

function withInt16(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setInt16(at, value, true);
  return copy;
}

function withFloat32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setFloat32(at, value, true);
  return copy;
}
