/**
 * MetaImage (ITK's `.mha` with the data attached, `.mhd` with the data in a separate file).
 *
 * Reads 2-, 3- and 4-D binary or ASCII images of every MET_ element type, little or
 * big-endian, zlib-compressed or not, with `ElementNumberOfChannels` and a 4th dimension both
 * becoming channels. MetaImage geometry is LPS: `TransformMatrix` lists each voxel axis's
 * direction (one row per axis), `Offset` the origin; both are converted to RAS.
 *
 * @module
 */

import { atomicWriteFile, atomicWriteTextFile } from "../../core/serialize/atomic_write.ts";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../errors.ts";
import { axisCodes, lpsToRasAffine, rasToLpsAffine } from "../geometry.ts";
import type { Volume, VoxelArray } from "../volume.ts";
import { unzlibVolumeBytes, zlibBytes } from "./compression.ts";
import { baseNameOf, readDataFile, splitHeaderLine } from "./data_file.ts";
import { assertWritableVolume } from "./volume_check.ts";
import {
  applyNonFinitePolicy,
  BYTES_PER_VOXEL,
  decodeVoxels,
  deinterleaveChannelGroups,
  encodeVoxels,
  interleaveChannels,
  parseTextVoxels,
  type ReadVolumeOptions,
  type StoredVoxelType,
  voxelCount,
  type VoxelType,
  voxelTypeOf,
} from "./voxel_codec.ts";

const ELEMENT_TYPES: Record<string, StoredVoxelType> = {
  MET_UCHAR: "uint8",
  MET_CHAR: "int8",
  MET_USHORT: "uint16",
  MET_SHORT: "int16",
  MET_UINT: "uint32",
  MET_INT: "int32",
  // MetaIO fixes MET_LONG at 4 bytes whatever the platform's long is.
  MET_ULONG: "uint32",
  MET_LONG: "int32",
  MET_ULONG_LONG: "uint64",
  MET_LONG_LONG: "int64",
  MET_FLOAT: "float32",
  MET_DOUBLE: "float64",
};

const MET_NAMES: Record<VoxelType, string> = {
  uint8: "MET_UCHAR",
  int8: "MET_CHAR",
  uint16: "MET_USHORT",
  int16: "MET_SHORT",
  uint32: "MET_UINT",
  int32: "MET_INT",
  float32: "MET_FLOAT",
  float64: "MET_DOUBLE",
};

/** Header keys with their accepted aliases, first one canonical. */
const ALIASES: Record<string, string[]> = {
  Offset: ["Offset", "Position", "Origin"],
  TransformMatrix: ["TransformMatrix", "Rotation", "Orientation"],
  ElementSpacing: ["ElementSpacing", "ElementSize"],
  ByteOrderMSB: ["BinaryDataByteOrderMSB", "ElementByteOrderMSB"],
};

/** The longest header we look through for `ElementDataFile` before giving up. */
const MAX_HEADER_BYTES = 1 << 20;

interface MetaImageHeader {
  fields: Map<string, string>;
  /** Byte offset of the voxels in a `.mha` (just after the `ElementDataFile` line). */
  dataStart: number;
}

/**
 * Reads a `.mha` or `.mhd` file (the latter with its data file).
 *
 * @example
 * ```ts ignore
 * import { readMetaImage } from "./metaimage.ts";
 * const volume = await readMetaImage("ct.mha");
 * ```
 */
export async function readMetaImage(
  path: string,
  options: ReadVolumeOptions = {},
): Promise<Volume> {
  const fileBytes = await Deno.readFile(path);
  const header = parseMetaImageHeader(path, fileBytes);
  const field = (key: string) => lookUp(header.fields, key);
  const objectType = field("ObjectType");
  if (objectType !== undefined && objectType.toLowerCase() !== "image") {
    throw new UnsupportedVolumeFormatError(path, `ObjectType ${objectType} is not an image`);
  }
  const rank = integerField(path, field("NDims"), "NDims");
  if (rank < 2 || rank > 4) {
    throw new UnsupportedVolumeFormatError(
      path,
      `NDims = ${rank}; only 2-, 3- and 4-D images are read`,
    );
  }
  const sizes = numberList(path, field("DimSize"), "DimSize", rank);
  const elementName = (field("ElementType") ?? "").replace(/_ARRAY$/, "");
  const element = ELEMENT_TYPES[elementName];
  if (!element) {
    throw new UnsupportedVolumeFormatError(
      path,
      `ElementType ${JSON.stringify(field("ElementType"))} is not supported`,
      `use one of ${Object.keys(ELEMENT_TYPES).join(", ")}`,
    );
  }
  const components = integerField(
    path,
    field("ElementNumberOfChannels") ?? "1",
    "ElementNumberOfChannels",
  );
  const dims: [number, number, number] = [sizes[0], sizes[1], rank >= 3 ? sizes[2] : 1];
  const timePoints = rank === 4 ? sizes[3] : 1;
  const voxels = voxelCount(path, dims);
  const count = voxels * voxelCount(path, [timePoints, components]);
  const bytes = await dataBytesOf(path, fileBytes, header, field, count * BYTES_PER_VOXEL[element]);

  let data: VoxelArray;
  if (isTrue(field("BinaryData") ?? "True")) {
    const bigEndian = isTrue(field("ByteOrderMSB") ?? "False");
    data = decodeVoxels(path, bytes, 0, count, element, !bigEndian);
  } else {
    data = parseTextVoxels(path, new TextDecoder("latin1").decode(bytes), count, element);
  }
  data = deinterleaveChannelGroups(data, components, timePoints);
  applyNonFinitePolicy(path, data, options.nonFinite);
  return {
    data,
    dims,
    channels: components * timePoints,
    affine: lpsToRasAffine(lpsAffineOf(path, field, rank)),
    meta: {
      format: "metaimage",
      path,
      datatype: element,
      anatomicalOrientation: field("AnatomicalOrientation"),
      metaimage: Object.fromEntries(header.fields),
    },
  };
}

/** Finds header lines up to and including `ElementDataFile`, which MetaIO requires to be last. */
function parseMetaImageHeader(path: string, bytes: Uint8Array): MetaImageHeader {
  const fields = new Map<string, string>();
  let lineStart = 0;
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  const decoder = new TextDecoder("latin1");
  while (lineStart < limit) {
    let lineEnd = bytes.indexOf(0x0a, lineStart);
    if (lineEnd < 0) lineEnd = bytes.length;
    const line = decoder.decode(bytes.subarray(lineStart, lineEnd)).replace(/\r$/, "");
    lineStart = lineEnd + 1;
    const pair = splitHeaderLine(line, "=");
    if (!pair) {
      if (line.trim() === "") continue;
      break;
    }
    fields.set(pair[0], pair[1]);
    if (pair[0] === "ElementDataFile") {
      return { fields, dataStart: Math.min(lineStart, bytes.length) };
    }
  }
  throw new VolumeFormatError(
    path,
    "not a MetaImage header: no `ElementDataFile = ...` line found",
    "check the file extension, or whether the file is corrupt",
  );
}

function lookUp(fields: Map<string, string>, key: string): string | undefined {
  for (const name of ALIASES[key] ?? [key]) {
    for (const [candidate, value] of fields) {
      if (candidate.toLowerCase() === name.toLowerCase()) return value;
    }
  }
  return undefined;
}

function isTrue(value: string): boolean {
  return /^(true|1|yes)$/i.test(value.trim());
}

function numberList(path: string, text: string | undefined, name: string, count: number): number[] {
  const values = (text ?? "").trim().split(/\s+/).filter((v) => v !== "").map(Number);
  if (values.length < count || values.slice(0, count).some((v) => !Number.isFinite(v))) {
    throw new VolumeFormatError(
      path,
      `${name} = ${JSON.stringify(text ?? "")} should hold ${count} numbers`,
      "the header is corrupt",
    );
  }
  return values.slice(0, count);
}

function integerField(path: string, text: string | undefined, name: string): number {
  const [value] = numberList(path, text, name, 1);
  if (!Number.isInteger(value) || value < 1) {
    throw new VolumeFormatError(
      path,
      `${name} = ${text} is not a positive integer`,
      "the header is corrupt",
    );
  }
  return value;
}

/** The voxel bytes, from after the header or from the named file, decompressed if needed. */
async function dataBytesOf(
  path: string,
  fileBytes: Uint8Array,
  header: MetaImageHeader,
  field: (key: string) => string | undefined,
  expectedBytes: number,
): Promise<Uint8Array> {
  const dataFile = field("ElementDataFile") ?? "";
  let bytes: Uint8Array;
  if (dataFile.toUpperCase() === "LOCAL") bytes = fileBytes.subarray(header.dataStart);
  else if (dataFile.toUpperCase().startsWith("LIST") || dataFile.includes("%")) {
    throw new UnsupportedVolumeFormatError(
      path,
      `ElementDataFile = ${dataFile}: images split over several files are not supported`,
      "merge them into one .mha first",
    );
  } else bytes = await readDataFile(path, dataFile);
  const compressed = isTrue(field("CompressedData") ?? "False");
  if (compressed) {
    const compressedSize = Number(field("CompressedDataSize") ?? NaN);
    if (Number.isInteger(compressedSize) && compressedSize > 0) {
      bytes = bytes.subarray(0, compressedSize);
    }
    return unzlibVolumeBytes(path, bytes);
  }
  const headerSize = Number(field("HeaderSize") ?? 0);
  // HeaderSize = -1 means "the voxels are the last bytes of the data file".
  if (headerSize === -1) return bytes.subarray(Math.max(0, bytes.length - expectedBytes));
  if (Number.isInteger(headerSize) && headerSize > 0) {
    if (headerSize > bytes.length) {
      throw new VolumeFormatError(path, `HeaderSize ${headerSize} is beyond the end of the data`);
    }
    return bytes.subarray(headerSize);
  }
  return bytes;
}

/** LPS affine from ElementSpacing, TransformMatrix and Offset (each for NDims axes). */
function lpsAffineOf(
  path: string,
  field: (key: string) => string | undefined,
  rank: number,
): Float64Array {
  const spatial = Math.min(rank, 3);
  const spacing = field("ElementSpacing")
    ? numberList(path, field("ElementSpacing"), "ElementSpacing", spatial)
    : [1, 1, 1];
  const offset = field("Offset") ? numberList(path, field("Offset"), "Offset", spatial) : [0, 0, 0];
  const matrix = field("TransformMatrix")
    ? numberList(path, field("TransformMatrix"), "TransformMatrix", rank * rank)
    : Array.from({ length: rank * rank }, (_, n) => (n % (rank + 1) === 0 ? 1 : 0));
  const affine = new Float64Array(16);
  affine[15] = 1;
  for (let axis = 0; axis < 3; axis++) {
    for (let world = 0; world < 3; world++) {
      // Row `axis` of TransformMatrix is that axis's direction; a 2-D image gets k = z.
      const component = axis < spatial && world < spatial
        ? matrix[axis * rank + world]
        : (axis === world ? 1 : 0);
      affine[world * 4 + axis] = component * (axis < spatial ? spacing[axis] : 1);
    }
    affine[axis * 4 + 3] = axis < spatial ? offset[axis] : 0;
  }
  return affine;
}

/** Options for writing MetaImage. */
export interface MetaImageWriteOptions {
  /** zlib-compress the voxels (`CompressedData = True`); off by default, as in ITK. */
  compress?: boolean;
}

/**
 * Writes a volume as `.mha` (one file) or `.mhd` plus a `.raw`/`.zraw` data file beside it.
 * Each file is written atomically; for `.mhd` the data file goes first so a header never
 * points at missing data.
 *
 * @example
 * ```ts ignore
 * import { writeMetaImage } from "./metaimage.ts";
 * await writeMetaImage("prediction.mha", volume, { compress: true });
 * ```
 */
export async function writeMetaImage(
  path: string,
  volume: Volume,
  options: MetaImageWriteOptions = {},
): Promise<void> {
  assertWritableVolume(path, volume);
  const voxels = encodeVoxels(interleaveChannels(volume.data, volume.channels), true);
  const payload = options.compress ? zlibBytes(voxels) : voxels;
  const detached = path.toLowerCase().endsWith(".mhd");
  const dataName = detached
    ? baseNameOf(path).replace(/\.mhd$/i, options.compress ? ".zraw" : ".raw")
    : "LOCAL";
  const header = metaImageHeaderText(volume, options.compress ?? false, payload.length, dataName);
  if (detached) {
    await atomicWriteFile(path.slice(0, path.length - baseNameOf(path).length) + dataName, payload);
    await atomicWriteTextFile(path, header);
    return;
  }
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(headerBytes.length + payload.length);
  out.set(headerBytes, 0);
  out.set(payload, headerBytes.length);
  await atomicWriteFile(path, out);
}

function metaImageHeaderText(
  volume: Volume,
  compress: boolean,
  compressedSize: number,
  dataName: string,
): string {
  const lps = rasToLpsAffine(volume.affine);
  const spacing = [0, 1, 2].map((axis) => Math.hypot(lps[axis], lps[4 + axis], lps[8 + axis]));
  const rows = [0, 1, 2].map((axis) =>
    [0, 1, 2].map((world) => lps[world * 4 + axis] / spacing[axis])
  );
  // MetaIO names each axis by the side it starts from, the opposite of RAS-style codes.
  const opposite: Record<string, string> = { R: "L", L: "R", A: "P", P: "A", S: "I", I: "S" };
  const orientation = [...axisCodes(volume.affine)].map((code) => opposite[code]).join("");
  const lines = [
    "ObjectType = Image",
    "NDims = 3",
    "BinaryData = True",
    "BinaryDataByteOrderMSB = False",
    `CompressedData = ${compress ? "True" : "False"}`,
    ...(compress ? [`CompressedDataSize = ${compressedSize}`] : []),
    `TransformMatrix = ${rows.flat().join(" ")}`,
    `Offset = ${lps[3]} ${lps[7]} ${lps[11]}`,
    "CenterOfRotation = 0 0 0",
    `AnatomicalOrientation = ${orientation}`,
    `ElementSpacing = ${spacing.join(" ")}`,
    `DimSize = ${volume.dims.join(" ")}`,
    ...(volume.channels > 1 ? [`ElementNumberOfChannels = ${volume.channels}`] : []),
    `ElementType = ${MET_NAMES[voxelTypeOf(volume.data)]}`,
    `ElementDataFile = ${dataName}`,
  ];
  return lines.join("\n") + "\n";
}
