import assert from "node:assert/strict";
import {
  NonFiniteVoxelError,
  UnsupportedVolumeFormatError,
  VolumeFormatError,
} from "../../../data/errors.ts";
import { zlibBytes } from "../../../data/formats/compression.ts";
import { readMetaImage, writeMetaImage } from "../../../data/formats/metaimage.ts";
import { readNifti } from "../../../data/formats/nifti.ts";
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

Deno.test("metaimage: round trip of every datatype as .mha/.mhd, raw and compressed", async () => {
  const folder = await temporaryFolder();
  try {
    for (const type of VOXEL_TYPES) {
      for (
        const [extension, compress] of [[".mha", false], [".mha", true], [".mhd", false], [
          ".mhd",
          true,
        ]] as const
      ) {
        const volume = patternVolume(type, [5, 4, 3], type.name === "int16" ? 3 : 1);
        const path = `${folder.path}/${type.name}${compress ? "_z" : ""}${extension}`;
        await writeMetaImage(path, volume, { compress });
        const back = await readMetaImage(path);
        const label = `${type.name}${extension}${compress ? " compressed" : ""}`;
        assert.equal(back.data.constructor, volume.data.constructor, label);
        assert.deepEqual(Array.from(back.data), Array.from(volume.data), label);
        assert.equal(back.channels, volume.channels, label);
        assertSameWorldGeometry(volume, back, 1e-9);
      }
    }
    const names = Array.from(Deno.readDirSync(folder.path), (entry) => entry.name);
    assert.ok(names.includes("uint8.raw") && names.includes("uint8_z.zraw"), names.join());
  } finally {
    await folder.remove();
  }
});

Deno.test("metaimage: ITK conventions: TransformMatrix rows are axis directions, in LPS", async () => {
  const folder = await temporaryFolder();
  try {
    const header = [
      "ObjectType = Image",
      "NDims = 3",
      "BinaryData = True",
      "BinaryDataByteOrderMSB = True",
      "CompressedData = False",
      // i runs along LPS +y, j along LPS −x, k along +z.
      "TransformMatrix = 0 1 0 -1 0 0 0 0 1",
      "Offset = 10 20 30",
      "ElementSpacing = 2 3 4",
      "DimSize = 2 2 2",
      "ElementType = MET_SHORT",
      "ElementDataFile = LOCAL",
      "",
    ].join("\r\n");
    const voxels = new Uint8Array(16);
    const view = new DataView(voxels.buffer);
    for (let n = 0; n < 8; n++) view.setInt16(n * 2, n * 100 - 300, false);
    const path = `${folder.path}/itk.mha`;
    await Deno.writeFile(path, concat(text(header), voxels));
    const volume = await readMetaImage(path);
    assert.ok(volume.data instanceof Int16Array);
    assert.deepEqual(Array.from(volume.data), [-300, -200, -100, 0, 100, 200, 300, 400]);
    // LPS (10, 20, 30) is RAS (−10, −20, 30); voxel (1, 0, 0) moves 2 mm along LPS +y.
    assertAllClose(voxelToWorld(volume.affine, [0, 0, 0]), [-10, -20, 30], 0);
    assertAllClose(voxelToWorld(volume.affine, [1, 0, 0]), [-10, -22, 30], 0);
    assertAllClose(voxelToWorld(volume.affine, [0, 1, 0]), [-7, -20, 30], 0);
    assertAllClose(voxelToWorld(volume.affine, [0, 0, 1]), [-10, -20, 34], 0);
  } finally {
    await folder.remove();
  }
});

Deno.test("metaimage: written headers follow ITK (identity LPS direction is RAI)", async () => {
  const folder = await temporaryFolder();
  try {
    const volume = patternVolume(
      VOXEL_TYPES[0],
      [3, 2, 2],
      1,
      Float64Array.of(-1, 0, 0, -5, 0, -1, 0, -6, 0, 0, 1, 7, 0, 0, 0, 1),
    );
    const path = `${folder.path}/out.mha`;
    await writeMetaImage(path, volume);
    const bytes = await Deno.readFile(path);
    const header = new TextDecoder().decode(bytes.subarray(0, bytes.length - 12));
    assert.match(header, /TransformMatrix = 1 0 0 0 1 0 0 0 1\n/);
    assert.match(header, /Offset = 5 6 7\n/);
    assert.match(header, /AnatomicalOrientation = RAI\n/);
    assert.match(header, /ElementType = MET_UCHAR\nElementDataFile = LOCAL\n/);
  } finally {
    await folder.remove();
  }
});

Deno.test("metaimage: 4-D, interleaved channels, detached data with HeaderSize -1, ASCII", async () => {
  const folder = await temporaryFolder();
  try {
    // Two time points of 2×1×1 voxels, each with 2 interleaved components.
    const base = [
      "NDims = 4",
      "DimSize = 2 1 1 2",
      "ElementNumberOfChannels = 2",
      "ElementType = MET_UCHAR",
    ];
    await Deno.writeFile(
      `${folder.path}/data.bin`,
      concat(text("junk preamble"), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
    );
    await Deno.writeTextFile(
      `${folder.path}/four.mhd`,
      [...base, "HeaderSize = -1", "ElementDataFile = data.bin", ""].join("\n"),
    );
    const volume = await readMetaImage(`${folder.path}/four.mhd`);
    assert.deepEqual(volume.dims, [2, 1, 1]);
    assert.equal(volume.channels, 4);
    // channel = time * 2 + component
    assert.deepEqual(Array.from(volume.data), [1, 3, 2, 4, 5, 7, 6, 8]);

    await Deno.writeTextFile(
      `${folder.path}/ascii.mha`,
      [
        "NDims = 2",
        "DimSize = 3 1",
        "BinaryData = False",
        "ElementType = MET_FLOAT",
        "ElementDataFile = LOCAL",
        "1.5 -2 3e2",
      ]
        .join("\n"),
    );
    const ascii = await readMetaImage(`${folder.path}/ascii.mha`);
    assert.deepEqual(ascii.dims, [3, 1, 1]);
    assert.deepEqual(Array.from(ascii.data), [1.5, -2, 300]);
  } finally {
    await folder.remove();
  }
});

Deno.test("metaimage: NIfTI fixtures convert with their world geometry intact", async () => {
  const folder = await temporaryFolder();
  try {
    for (
      const name of ["oblique_int16.nii.gz", "qform_only_uint16.nii.gz", "four_d_int32.nii.gz"]
    ) {
      const volume = await readNifti(FIXTURES + name);
      const path = `${folder.path}/converted.mha`;
      await writeMetaImage(path, volume, { compress: true });
      const back = await readMetaImage(path);
      assert.deepEqual(Array.from(back.data), Array.from(volume.data), name);
      assertSameWorldGeometry(volume, back, 1e-9);
    }
  } finally {
    await folder.remove();
  }
});

const HEADER = [
  "ObjectType = Image",
  "NDims = 3",
  "DimSize = 4 3 2",
  "ElementType = MET_FLOAT",
];

const CORRUPT_CASES: {
  what: string;
  header: string[];
  data?: Uint8Array;
  type: abstract new (...args: never[]) => Error;
  pattern: RegExp;
}[] = [
  {
    what: "too few voxels",
    header: [...HEADER, "ElementDataFile = LOCAL"],
    data: new Uint8Array(50),
    type: VolumeFormatError,
    pattern: /truncated/,
  },
  {
    what: "corrupt zlib data",
    header: [...HEADER, "CompressedData = True", "ElementDataFile = LOCAL"],
    data: zlibBytes(new Uint8Array(96)).map((b, n) => (n > 3 && n < 8 ? b ^ 0xff : b)),
    type: VolumeFormatError,
    pattern: /corrupt/,
  },
  {
    what: "truncated zlib data",
    header: [...HEADER, "CompressedData = True", "ElementDataFile = LOCAL"],
    data: zlibBytes(Uint8Array.from({ length: 96 }, (_, n) => n * 7)).subarray(0, 12),
    type: VolumeFormatError,
    pattern: /corrupt|truncated/,
  },
  {
    what: "missing data file",
    header: [...HEADER, "ElementDataFile = nowhere.raw"],
    type: VolumeFormatError,
    pattern: /nowhere\.raw.*does not exist/,
  },
  {
    what: "unknown element type",
    header: [
      "NDims = 3",
      "DimSize = 4 3 2",
      "ElementType = MET_FLOAT128",
      "ElementDataFile = LOCAL",
    ],
    type: UnsupportedVolumeFormatError,
    pattern: /MET_FLOAT128/,
  },
  {
    what: "no ElementDataFile",
    header: [...HEADER],
    type: VolumeFormatError,
    pattern: /ElementDataFile/,
  },
  {
    what: "too many dimensions",
    header: [
      "NDims = 5",
      "DimSize = 1 1 1 1 1",
      "ElementType = MET_UCHAR",
      "ElementDataFile = LOCAL",
    ],
    type: UnsupportedVolumeFormatError,
    pattern: /NDims/,
  },
  {
    what: "negative size",
    header: ["NDims = 3", "DimSize = 4 -3 2", "ElementType = MET_UCHAR", "ElementDataFile = LOCAL"],
    type: VolumeFormatError,
    pattern: /positive integer/,
  },
  {
    what: "NaN voxels",
    header: ["NDims = 3", "DimSize = 1 1 1", "ElementType = MET_FLOAT", "ElementDataFile = LOCAL"],
    data: new Uint8Array(Float32Array.of(NaN).buffer),
    type: NonFiniteVoxelError,
    pattern: /NaN/,
  },
];

for (const testCase of CORRUPT_CASES) {
  Deno.test(`metaimage: ${testCase.what} gives a typed error naming the file`, async () => {
    const folder = await temporaryFolder();
    try {
      const path = `${folder.path}/broken.mha`;
      await Deno.writeFile(
        path,
        concat(text(testCase.header.join("\n") + "\n"), testCase.data ?? new Uint8Array()),
      );
      await assertRejectsNaming(readMetaImage(path), testCase.type, path, testCase.pattern);
    } finally {
      await folder.remove();
    }
  });
}
