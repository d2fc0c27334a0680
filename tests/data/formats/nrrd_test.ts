import assert from "node:assert/strict";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../../../data/errors.ts";
import { gzipBytes } from "../../../data/formats/compression.ts";
import { readNifti } from "../../../data/formats/nifti.ts";
import { readNrrd, writeNrrd } from "../../../data/formats/nrrd.ts";
import { voxelToWorld } from "../../../data/geometry.ts";
import {
  assertAllClose,
  assertRejectsNaming,
  assertSameWorldGeometry,
  FIXTURES,
  patternVolume,
  temporaryFolder,
  VOXEL_TYPES,
} from "./test_helpers.ts";

const text = (value: string) => new TextEncoder().encode(value);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Writes an attached NRRD from header lines and data bytes; returns its path. */
async function nrrdFile(folder: string, lines: string[], data: Uint8Array, name = "x.nrrd") {
  const path = `${folder}/${name}`;
  await Deno.writeFile(path, concat(text(["NRRD0004", ...lines, "", ""].join("\n")), data));
  return path;
}

Deno.test("nrrd: round trip of every datatype as .nrrd/.nhdr, gzip and raw", async () => {
  const folder = await temporaryFolder();
  try {
    for (const type of VOXEL_TYPES) {
      for (const extension of [".nrrd", ".nhdr"]) {
        for (const encoding of ["gzip", "raw"] as const) {
          const volume = patternVolume(type, [5, 4, 3], type.name === "float32" ? 2 : 1);
          const path = `${folder.path}/${type.name}_${encoding}${extension}`;
          await writeNrrd(path, volume, { encoding });
          const back = await readNrrd(path);
          const label = `${type.name}${extension} ${encoding}`;
          assert.equal(back.data.constructor, volume.data.constructor, label);
          assert.deepEqual(Array.from(back.data), Array.from(volume.data), label);
          assert.equal(back.channels, volume.channels, label);
          assertSameWorldGeometry(volume, back, 1e-9);
        }
      }
    }
    const names = Array.from(Deno.readDirSync(folder.path), (entry) => entry.name);
    assert.ok(names.includes("uint8_gzip.raw.gz") && names.includes("uint8_raw.raw"), names.join());
  } finally {
    await folder.remove();
  }
});

Deno.test("nrrd: LPS and RAS spaces give the same RAS geometry", async () => {
  const folder = await temporaryFolder();
  try {
    const data = new Uint8Array(Int16Array.of(1, 2, 3, 4, 5, 6, 7, 8).buffer);
    const common = [
      "type: short",
      "dimension: 3",
      "sizes: 2 2 2",
      "endian: little",
      "encoding: raw",
    ];
    const lps = await nrrdFile(
      folder.path,
      [
        ...common,
        "space: left-posterior-superior",
        "space directions: (0,2,0) (-3,0,0) (0,0,4)",
        "space origin: (10,20,30)",
      ],
      data,
      "lps.nrrd",
    );
    const ras = await nrrdFile(
      folder.path,
      [
        ...common,
        "space: RAS",
        "space directions: (0,-2,0) (3,0,0) (0,0,4)",
        "space origin: (-10,-20,30)",
      ],
      data,
      "ras.nrrd",
    );
    for (const path of [lps, ras]) {
      const volume = await readNrrd(path);
      assertAllClose(voxelToWorld(volume.affine, [0, 0, 0]), [-10, -20, 30], 0, path);
      assertAllClose(voxelToWorld(volume.affine, [1, 0, 0]), [-10, -22, 30], 0, path);
      assertAllClose(voxelToWorld(volume.affine, [0, 1, 0]), [-7, -20, 30], 0, path);
      assert.deepEqual(Array.from(volume.data), [1, 2, 3, 4, 5, 6, 7, 8]);
    }
  } finally {
    await folder.remove();
  }
});

Deno.test("nrrd: big-endian, ASCII, RGB first axis, list last axis, spacings only", async () => {
  const folder = await temporaryFolder();
  try {
    const big = new Uint8Array(8);
    new DataView(big.buffer).setFloat32(0, 1.25, false);
    new DataView(big.buffer).setFloat32(4, -7, false);
    const bigPath = await nrrdFile(
      folder.path,
      [
        "type: float",
        "dimension: 3",
        "sizes: 2 1 1",
        "endian: big",
        "encoding: raw",
        "spacings: 0.5 2 3",
      ],
      big,
      "big.nrrd",
    );
    const bigVolume = await readNrrd(bigPath);
    assert.deepEqual(Array.from(bigVolume.data), [1.25, -7]);
    assert.deepEqual(Array.from(bigVolume.affine), [
      0.5,
      0,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      0,
      3,
      0,
      0,
      0,
      0,
      1,
    ]);

    const ascii = await readNrrd(
      await nrrdFile(
        folder.path,
        [
          "type: int",
          "dimension: 2",
          "sizes: 3 2",
          "encoding: ascii",
        ],
        text("1 2 3\n4 5 -6\n"),
        "ascii.nrrd",
      ),
    );
    assert.deepEqual(ascii.dims, [3, 2, 1]);
    assert.deepEqual(Array.from(ascii.data), [1, 2, 3, 4, 5, -6]);

    const rgb = await readNrrd(
      await nrrdFile(
        folder.path,
        [
          "type: uchar",
          "dimension: 4",
          "space: LPS",
          "sizes: 3 2 1 1",
          "space directions: none (1,0,0) (0,1,0) (0,0,1)",
          "kinds: RGB-color domain domain domain",
          "encoding: gzip",
        ],
        gzipBytes(Uint8Array.of(10, 20, 30, 11, 21, 31)),
        "rgb.nrrd",
      ),
    );
    assert.deepEqual(rgb.dims, [2, 1, 1]);
    assert.equal(rgb.channels, 3);
    assert.deepEqual(Array.from(rgb.data), [10, 11, 20, 21, 30, 31]);

    const list = await readNrrd(
      await nrrdFile(
        folder.path,
        [
          "type: uint8",
          "dimension: 4",
          "space: RAS",
          "sizes: 2 1 1 3",
          "space directions: (1,0,0) (0,1,0) (0,0,1) none",
          "encoding: raw",
        ],
        Uint8Array.of(1, 2, 3, 4, 5, 6),
        "list.nrrd",
      ),
    );
    assert.equal(list.channels, 3);
    assert.deepEqual(Array.from(list.data), [1, 2, 3, 4, 5, 6]);
  } finally {
    await folder.remove();
  }
});

Deno.test("nrrd: detached data with line skip and byte skip -1", async () => {
  const folder = await temporaryFolder();
  try {
    await Deno.writeFile(
      `${folder.path}/voxels.dat`,
      concat(text("comment line\n"), text("pad"), Uint8Array.of(9, 8, 7, 6)),
    );
    await Deno.writeTextFile(
      `${folder.path}/x.nhdr`,
      [
        "NRRD0004",
        "type: uint8",
        "dimension: 3",
        "sizes: 2 2 1",
        "encoding: raw",
        "line skip: 1",
        "byte skip: -1",
        "data file: voxels.dat",
        "",
      ]
        .join("\n"),
    );
    assert.deepEqual(Array.from((await readNrrd(`${folder.path}/x.nhdr`)).data), [9, 8, 7, 6]);
  } finally {
    await folder.remove();
  }
});

Deno.test("nrrd: NIfTI fixtures convert with their world geometry intact", async () => {
  const folder = await temporaryFolder();
  try {
    for (
      const name of ["oblique_int16.nii.gz", "qform_only_uint16.nii.gz", "four_d_int32.nii.gz"]
    ) {
      const volume = await readNifti(FIXTURES + name);
      for (const extension of [".nrrd", ".nhdr"]) {
        const path = `${folder.path}/converted${extension}`;
        await writeNrrd(path, volume);
        const back = await readNrrd(path);
        assert.deepEqual(Array.from(back.data), Array.from(volume.data), name);
        assert.equal(back.channels, volume.channels);
        assertSameWorldGeometry(volume, back, 1e-9);
      }
    }
  } finally {
    await folder.remove();
  }
});

const BASE = ["type: float", "dimension: 3", "sizes: 4 3 2", "endian: little"];

const CORRUPT_CASES: {
  what: string;
  file: () => Uint8Array;
  type: abstract new (...args: never[]) => Error;
  pattern: RegExp;
}[] = [
  {
    what: "bad magic",
    file: () => text("NRRX0004\ntype: float\n\n"),
    type: VolumeFormatError,
    pattern: /not a NRRD/,
  },
  {
    what: "truncated gzip",
    file: () =>
      concat(
        text(["NRRD0004", ...BASE, "encoding: gzip", "", ""].join("\n")),
        gzipBytes(new Uint8Array(96)).subarray(0, 20),
      ),
    type: VolumeFormatError,
    pattern: /gzip/,
  },
  {
    what: "too few raw voxels",
    file: () =>
      concat(text(["NRRD0004", ...BASE, "encoding: raw", "", ""].join("\n")), new Uint8Array(40)),
    type: VolumeFormatError,
    pattern: /truncated/,
  },
  {
    what: "missing sizes",
    file: () =>
      text(["NRRD0004", "type: float", "dimension: 3", "encoding: raw", "", ""].join("\n")),
    type: VolumeFormatError,
    pattern: /"sizes"/,
  },
  {
    what: "bzip2 encoding",
    file: () => text(["NRRD0004", ...BASE, "encoding: bzip2", "", ""].join("\n")),
    type: UnsupportedVolumeFormatError,
    pattern: /bzip2/,
  },
  {
    what: "unknown space",
    file: () =>
      concat(
        text(
          [
            "NRRD0004",
            ...BASE,
            "encoding: raw",
            "space: scanner-xyz",
            "space directions: (1,0,0) (0,1,0) (0,0,1)",
            "",
            "",
          ].join("\n"),
        ),
        new Uint8Array(96),
      ),
    type: UnsupportedVolumeFormatError,
    pattern: /scanner-xyz/,
  },
  {
    what: "sizes that disagree with dimension",
    file: () =>
      text(
        ["NRRD0004", "type: float", "dimension: 3", "sizes: 4 3", "encoding: raw", "", ""].join(
          "\n",
        ),
      ),
    type: VolumeFormatError,
    pattern: /sizes lists 2 axes/,
  },
  {
    what: "missing data file",
    file: () => text(["NRRD0004", ...BASE, "encoding: raw", "data file: gone.raw", ""].join("\n")),
    type: VolumeFormatError,
    pattern: /gone\.raw.*does not exist/,
  },
];

for (const testCase of CORRUPT_CASES) {
  Deno.test(`nrrd: ${testCase.what} gives a typed error naming the file`, async () => {
    const folder = await temporaryFolder();
    try {
      const path = `${folder.path}/broken.nrrd`;
      await Deno.writeFile(path, testCase.file());
      await assertRejectsNaming(readNrrd(path), testCase.type, path, testCase.pattern);
    } finally {
      await folder.remove();
    }
  });
}
