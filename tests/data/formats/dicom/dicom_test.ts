import assert from "node:assert/strict";
import { invertAffine, voxelToWorld } from "../../../../data/geometry.ts";
import { readVolume } from "../../../../data/formats/mod.ts";
import {
  DicomSeriesNotFoundError,
  InconsistentDicomSeriesError,
  listDicomSeries,
  NoDicomImagesError,
  readDicomSeries,
  UnsupportedTransferSyntaxError,
} from "../../../../data/formats/dicom/mod.ts";
import type { Volume } from "../../../../data/volume.ts";
import { VolumeFormatError } from "../../../../data/errors.ts";
import {
  assertAllClose,
  assertRejectsNaming,
  assertSameWorldGeometry,
  temporaryFolder,
} from "../test_helpers.ts";
import { convertMain } from "../../../../tools/convert.ts";

const FIXTURES = new URL("../../../fixtures/dicom/", import.meta.url).pathname;

interface Checksum {
  count: number;
  sum: number;
  weighted: number;
}

interface SyntaxExpectation {
  transferSyntaxUid: string;
  pixels?: Checksum;
  rows: number;
  columns: number;
  frames: number;
  samples: number;
  slope: number;
  intercept: number;
  position?: number[];
  orientation?: number[];
  pixelSpacing?: number[];
  gridFrameOffsets?: number[];
}

const EXPECTED = JSON.parse(await Deno.readTextFile(FIXTURES + "expected.json")) as {
  syntaxes: Record<string, SyntaxExpectation>;
  series_two: {
    seriesUid: string;
    localizerUid: string;
    dcm2niixAffine: number[][];
    dcm2niixDims: number[];
    dcm2niixData: number[];
  };
  series_enhanced: { frameOrder: number[] };
};

/** Same weighted sums as make_fixtures.py, after undoing the rescale. */
function checksumOf(data: ArrayLike<number>, slope: number, intercept: number): Checksum {
  let sum = 0, weighted = 0;
  for (let n = 0; n < data.length; n++) {
    const raw = Math.round((data[n] - intercept) / slope);
    sum += raw;
    weighted += raw * ((n % 97) + 1);
  }
  return { count: data.length, sum, weighted };
}

/** Reads one fixture file as a one-file series in a temporary folder. */
async function readSingleFile(name: string, warnings: string[] = []): Promise<Volume> {
  const folder = await temporaryFolder();
  try {
    await Deno.copyFile(FIXTURES + "syntaxes/" + name, `${folder.path}/${name}`);
    return await readDicomSeries(folder.path, { onWarning: (m) => warnings.push(m) });
  } finally {
    await folder.remove();
  }
}

const DECODABLE = Object.entries(EXPECTED.syntaxes).filter(([, e]) => e.pixels !== undefined);

for (const [name, expected] of DECODABLE) {
  Deno.test(`DICOM ${name} (${expected.transferSyntaxUid}) decodes to the reference pixels`, async () => {
    const volume = await readSingleFile(name);
    assert.deepEqual(volume.dims, [expected.columns, expected.rows, expected.frames]);
    assert.equal(volume.channels, expected.samples);
    assert.equal(volume.meta.transferSyntaxUid, expected.transferSyntaxUid);
    const scaled = expected.slope !== 1 || expected.intercept !== 0;
    if (scaled && !Number.isInteger(expected.slope)) assert.ok(volume.data instanceof Float32Array);
    // float32 rounding of slope·value needs a looser comparison than integer data.
    const actual = checksumOf(volume.data, expected.slope, expected.intercept);
    assert.equal(actual.count, expected.pixels!.count);
    // Lossy JPEG: decoders may upsample chroma differently, so only nearly equal.
    const lossy = expected.transferSyntaxUid === "1.2.840.10008.1.2.4.50";
    assertAllClose(
      [actual.sum, actual.weighted],
      [expected.pixels!.sum, expected.pixels!.weighted],
      lossy ? 3e-3 : 1e-9,
    );
  });
}

Deno.test("DICOM CT rescale intercept -1024 keeps an integer type", async () => {
  const volume = await readSingleFile("CT_small.dcm");
  assert.ok(volume.data instanceof Int16Array || volume.data instanceof Int32Array);
  assert.equal(volume.meta.rescaled, true);
  const e = EXPECTED.syntaxes["CT_small.dcm"];
  // Single slice: origin is ImagePositionPatient in RAS (x, y negated).
  const origin = voxelToWorld(volume.affine, [0, 0, 0]);
  assertAllClose(origin, [-e.position![0], -e.position![1], e.position![2]], 1e-9);
  assertAllClose(
    [volume.affine[0], volume.affine[5]],
    [-e.pixelSpacing![1], -e.pixelSpacing![0]],
    1e-9,
  );
});

Deno.test("DICOM RT Dose multi-frame: frames placed by Grid Frame Offset Vector, dose scaled", async () => {
  const volume = await readSingleFile("rtdose_rle.dcm");
  const e = EXPECTED.syntaxes["rtdose_rle.dcm"];
  assert.deepEqual(volume.dims, [10, 10, 15]);
  assert.ok(volume.data instanceof Float32Array);
  const last = voxelToWorld(volume.affine, [0, 0, 14]);
  const offset = e.gridFrameOffsets![14];
  assertAllClose(last, [-e.position![0], -e.position![1], e.position![2] + offset], 1e-6);
});

Deno.test("DICOM 12-bit JPEG Extended gives an error naming the transfer syntax", async () => {
  const error = await readSingleFile("JPGExtended.dcm").then(
    () => assert.fail("expected a rejection"),
    (caught: Error) => caught,
  );
  assert.ok(error instanceof UnsupportedTransferSyntaxError, String(error));
  assert.match(error.message, /1\.2\.840\.10008\.1\.2\.4\.51 \(JPEG Extended/);
  assert.match(error.message, /JPGExtended\.dcm/);
});

Deno.test("DICOM series: sorted and placed as dcm2niix places them, other series warned about", async () => {
  const warnings: string[] = [];
  const folder = FIXTURES + "series_two";
  const volume = await readDicomSeries(folder, { onWarning: (m) => warnings.push(m) });
  const reference = EXPECTED.series_two;
  assert.equal(volume.meta.seriesInstanceUid, reference.seriesUid);
  assert.deepEqual(volume.dims, reference.dcm2niixDims);
  assert.ok(volume.data instanceof Float32Array, "slope 2 gives float32");
  assert.ok(warnings.some((m) => m.includes("notes.txt")), "non-DICOM file noted");
  assert.ok(
    warnings.some((m) => m.includes(reference.localizerUid) && m.includes("seriesUid")),
    "the other series is listed",
  );
  // Every voxel must land on the dcm2niix voxel holding the same value.
  const toReference = invertAffine(Float64Array.from(reference.dcm2niixAffine.flat()));
  const [ni, nj, nk] = volume.dims;
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const world = voxelToWorld(volume.affine, [i, j, k]);
        const index = voxelToWorld(toReference, world);
        const rounded = index.map(Math.round);
        assertAllClose(index, rounded, 1e-4, `reference index of voxel ${[i, j, k]}`);
        const [a, b, c] = rounded;
        const expected = reference.dcm2niixData[(c * nj + b) * ni + a];
        assert.equal(volume.data[(k * nj + j) * ni + i], expected, `voxel ${[i, j, k]}`);
      }
    }
  }
});

Deno.test("DICOM series: choose a series by UID; list them largest first", async () => {
  const folder = FIXTURES + "series_two";
  const listed = await listDicomSeries(folder, { onWarning: () => {} });
  assert.deepEqual(listed.map((s) => s.sliceCount), [6, 3]);
  assert.equal(listed[1].seriesDescription, "localizer");
  const localizer = await readDicomSeries(folder, {
    seriesUid: EXPECTED.series_two.localizerUid,
    onWarning: () => {},
  });
  assert.deepEqual(localizer.dims, [4, 4, 3]);
  assert.ok(localizer.data instanceof Int16Array);
  assertAllClose(
    Array.from(localizer.affine),
    [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1],
    1e-9,
  );
  await assertRejectsNaming(
    readDicomSeries(folder, { seriesUid: "1.2.3.4", onWarning: () => {} }),
    DicomSeriesNotFoundError,
    folder,
    new RegExp(EXPECTED.series_two.localizerUid.replaceAll(".", "\\.")),
  );
});

Deno.test("DICOM series: a missing slice is warned about, or thrown when strict", async () => {
  const folder = FIXTURES + "series_missing";
  const warnings: string[] = [];
  const volume = await readDicomSeries(folder, { onWarning: (m) => warnings.push(m) });
  assert.equal(volume.dims[2], 5);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /6 mm apart where the median step is 3 mm \(1 slice\(s\) missing\?\)/);
  // Actual step between first and last: 15 mm over 4 gaps.
  assertAllClose([volume.affine[10]], [3.75], 1e-9);
  await assertRejectsNaming(
    readDicomSeries(folder, { strict: true }),
    InconsistentDicomSeriesError,
    folder,
    /missing/,
  );
});

Deno.test("DICOM series: uneven spacing warns; duplicates, mixed sizes, no pixels throw", async () => {
  const warnings: string[] = [];
  await readDicomSeries(FIXTURES + "series_uneven", { onWarning: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /3\.6 mm apart where the median step is 3 mm/);
  await assertRejectsNaming(
    readDicomSeries(FIXTURES + "series_duplicate"),
    InconsistentDicomSeriesError,
    FIXTURES + "series_duplicate",
    /share a position/,
  );
  await assertRejectsNaming(
    readDicomSeries(FIXTURES + "series_mixed_dims"),
    InconsistentDicomSeriesError,
    FIXTURES + "series_mixed_dims",
    /different rows/,
  );
  await assertRejectsNaming(
    readDicomSeries(FIXTURES + "series_no_pixels"),
    VolumeFormatError,
    "series_no_pixels/img_",
    /no Pixel Data/,
  );
});

Deno.test("DICOM series: empty folder and folder without DICOM are typed errors", async () => {
  const folder = await temporaryFolder();
  try {
    await assertRejectsNaming(
      readDicomSeries(folder.path),
      NoDicomImagesError,
      folder.path,
      /no files/,
    );
    await Deno.writeTextFile(`${folder.path}/readme.md`, "hello");
    await assertRejectsNaming(
      readVolume(folder.path),
      NoDicomImagesError,
      folder.path,
      /readme\.md.*no DICM prefix/,
    );
  } finally {
    await folder.remove();
  }
});

Deno.test("DICOM single slice uses SliceThickness for the k axis", async () => {
  const volume = await readDicomSeries(FIXTURES + "series_single");
  assert.deepEqual(volume.dims, [7, 5, 1]);
  const k = [volume.affine[2], volume.affine[6], volume.affine[10]];
  assertAllClose([Math.hypot(...k)], [2.5], 1e-6);
  const i = [volume.affine[0], volume.affine[4], volume.affine[8]];
  const j = [volume.affine[1], volume.affine[5], volume.affine[9]];
  assertAllClose([Math.hypot(...i), Math.hypot(...j)], [0.75, 0.5], 1e-6);
});

Deno.test("DICOM enhanced multi-frame: frames sorted by their per-frame positions", async () => {
  const volume = await readDicomSeries(FIXTURES + "series_enhanced");
  assert.deepEqual(volume.dims, [7, 5, 4]);
  // The frame at LPS x = -40 + 2p holds 1000·p + n. The normal (row × column) is LPS -x, so
  // sorting along it puts p = 3 first.
  for (let k = 0; k < 4; k++) assert.equal(volume.data[k * 35 + 3], 1000 * (3 - k) + 3);
  // i along LPS +y (RAS -y) by 1.1, j along LPS -z by 0.9, k along LPS -x (RAS +x) by 2.
  assertAllClose(
    Array.from(volume.affine),
    [0, 0, 2, 34, -1.1, 0, 0, 10, 0, -0.9, 0, 25, 0, 0, 0, 1],
    1e-9,
  );
});

Deno.test("DICOM folder converts to .nii.gz with the same world coordinates", async () => {
  const folder = await temporaryFolder();
  try {
    const source = await readVolume(FIXTURES + "series_enhanced");
    const output = `${folder.path}/enhanced.nii.gz`;
    const code = await convertMain([FIXTURES + "series_enhanced", output]);
    assert.equal(code, 0);
    const converted = await readVolume(output);
    assertSameWorldGeometry(source, converted, 1e-5);
    assert.deepEqual(Array.from(converted.data), Array.from(source.data));
    // Voxel (2, 1, 0) holds frame p = 3, pixel 1·7 + 2, at LPS (-34, -10 + 2·1.1, 25 - 0.9).
    assert.equal(converted.data[(0 * 5 + 1) * 7 + 2], 3009);
    assertAllClose(voxelToWorld(converted.affine, [2, 1, 0]), [34, 10 - 2.2, 25 - 0.9], 1e-5);
  } finally {
    await folder.remove();
  }
});
