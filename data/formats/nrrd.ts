/**
 * NRRD (`.nrrd` with the data attached, `.nhdr` with the data in a separate file).
 *
 * Reads raw, gzip and ASCII encodings, little or big-endian, 2-D and 3-D images with at most
 * one extra non-spatial axis (first: interleaved components such as RGB or vectors; last: a
 * list or time series), all of which become channels. Geometry comes from `space directions`
 * and `space origin` in the declared `space` (RAS, LAS or LPS, converted to RAS), or from
 * `spacings` when there is no space. Writes gzip or raw, in LPS as ITK and Slicer do.
 *
 * @module
 */

import { atomicWriteFile, atomicWriteTextFile } from "../../core/serialize/atomic_write.ts";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../errors.ts";
import { rasToLpsAffine } from "../geometry.ts";
import type { Volume, VoxelArray } from "../volume.ts";
import { gunzipVolumeBytes, gzipBytes } from "./compression.ts";
import { baseNameOf, readDataFile, splitHeaderLine } from "./data_file.ts";
import { assertWritableVolume } from "./volume_check.ts";
import {
  applyNonFinitePolicy,
  BYTES_PER_VOXEL,
  decodeVoxels,
  deinterleaveChannels,
  encodeVoxels,
  parseTextVoxels,
  type ReadVolumeOptions,
  type StoredVoxelType,
  voxelCount,
  type VoxelType,
  voxelTypeOf,
} from "./voxel_codec.ts";

const TYPE_NAMES: [StoredVoxelType, string[]][] = [
  ["int8", ["signed char", "int8", "int8_t"]],
  ["uint8", ["uchar", "unsigned char", "uint8", "uint8_t"]],
  ["int16", ["short", "short int", "signed short", "signed short int", "int16", "int16_t"]],
  ["uint16", ["ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"]],
  ["int32", ["int", "signed int", "int32", "int32_t"]],
  ["uint32", ["uint", "unsigned int", "uint32", "uint32_t"]],
  [
    "int64",
    [
      "longlong",
      "long long",
      "long long int",
      "signed long long",
      "signed long long int",
      "int64",
      "int64_t",
    ],
  ],
  ["uint64", ["ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t"]],
  ["float32", ["float"]],
  ["float64", ["double"]],
];

const WRITTEN_TYPE_NAMES: Record<VoxelType, string> = {
  int8: "int8",
  uint8: "uint8",
  int16: "int16",
  uint16: "uint16",
  int32: "int32",
  uint32: "uint32",
  float32: "float",
  float64: "double",
};

/** Which world axes to negate to get from a NRRD space to RAS. */
const SPACE_TO_RAS: Record<string, [boolean, boolean]> = {
  "right-anterior-superior": [false, false],
  "ras": [false, false],
  "left-anterior-superior": [true, false],
  "las": [true, false],
  "left-posterior-superior": [true, true],
  "lps": [true, true],
};

const MAX_HEADER_BYTES = 1 << 20;

interface NrrdHeader {
  fields: Map<string, string>;
  keyValues: Record<string, string>;
  /** Byte offset just after the blank line that ends an attached header. */
  dataStart: number;
}

/**
 * Reads a `.nrrd` or `.nhdr` file (the latter with its data file).
 *
 * @example
 * ```ts ignore
 * import { readNrrd } from "./nrrd.ts";
 * const volume = await readNrrd("segmentation.seg.nrrd");
 * ```
 */
export async function readNrrd(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  const fileBytes = await Deno.readFile(path);
  const header = parseNrrdHeader(path, fileBytes);
  const field = (key: string) => header.fields.get(key);
  const element = elementTypeOf(path, required(path, field, "type"));
  const rank = Number(required(path, field, "dimension"));
  if (!Number.isInteger(rank) || rank < 1 || rank > 16) {
    throw new VolumeFormatError(
      path,
      `dimension: ${field("dimension")} is not valid`,
      "the header is corrupt",
    );
  }
  const sizes = required(path, field, "sizes").split(/\s+/).map(Number);
  if (sizes.length !== rank) {
    throw new VolumeFormatError(path, `sizes lists ${sizes.length} axes, dimension says ${rank}`);
  }
  voxelCount(path, sizes);
  const layout = axisLayoutOf(path, field, rank);
  const spatialSizes = layout.spatial.map((axis) => sizes[axis]);
  const dims: [number, number, number] = [spatialSizes[0], spatialSizes[1], spatialSizes[2] ?? 1];
  const channels = layout.channelAxis === undefined ? 1 : sizes[layout.channelAxis];
  const count = dims[0] * dims[1] * dims[2] * channels;

  let data: VoxelArray;
  const encoding = required(path, field, "encoding").toLowerCase();
  const bytes = await encodedBytesOf(path, fileBytes, header, field);
  if (encoding === "raw" || encoding === "gzip" || encoding === "gz") {
    const raw = encoding === "raw" ? bytes : gunzipVolumeBytes(path, bytes);
    const skip = byteSkipOf(path, field, raw.length, count * BYTES_PER_VOXEL[element], encoding);
    const littleEndian = (field("endian") ?? "little").toLowerCase() !== "big";
    data = decodeVoxels(path, raw, skip, count, element, littleEndian);
  } else if (["ascii", "text", "txt"].includes(encoding)) {
    data = parseTextVoxels(path, new TextDecoder("latin1").decode(bytes), count, element);
  } else {
    throw new UnsupportedVolumeFormatError(
      path,
      `encoding ${JSON.stringify(encoding)} is not supported`,
      "re-save with raw or gzip encoding",
    );
  }
  if (layout.channelAxis === 0 && channels > 1) data = deinterleaveChannels(data, channels);
  applyNonFinitePolicy(path, data, options.nonFinite);
  return {
    data,
    dims,
    channels,
    affine: rasAffineOf(path, field, layout.spatial, rank),
    meta: {
      format: "nrrd",
      path,
      datatype: element,
      space: field("space"),
      nrrd: Object.fromEntries(header.fields),
      nrrdKeyValues: header.keyValues,
    },
  };
}

function required(path: string, field: (key: string) => string | undefined, key: string): string {
  const value = field(key);
  if (value === undefined || value === "") {
    throw new VolumeFormatError(
      path,
      `the NRRD header has no "${key}" field`,
      "the header is incomplete",
    );
  }
  return value;
}

/** Parses the magic line, fields and key/value pairs up to the blank line (or end of file). */
function parseNrrdHeader(path: string, bytes: Uint8Array): NrrdHeader {
  const decoder = new TextDecoder("latin1");
  const magic = decoder.decode(bytes.subarray(0, 8));
  if (!/^NRRD000[1-5]$/.test(magic)) {
    throw new VolumeFormatError(
      path,
      `not a NRRD file: starts with ${JSON.stringify(magic)}, expected "NRRD0001".."NRRD0005"`,
      "check the file extension, or whether the file is corrupt",
    );
  }
  const fields = new Map<string, string>();
  const keyValues: Record<string, string> = {};
  let lineStart = bytes.indexOf(0x0a) + 1 || bytes.length;
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  while (lineStart < limit) {
    let lineEnd = bytes.indexOf(0x0a, lineStart);
    if (lineEnd < 0) lineEnd = bytes.length;
    const line = decoder.decode(bytes.subarray(lineStart, lineEnd)).replace(/\r$/, "");
    lineStart = lineEnd + 1;
    if (line === "") return { fields, keyValues, dataStart: Math.min(lineStart, bytes.length) };
    if (line.startsWith("#")) continue;
    const keyValue = line.indexOf(":=");
    if (keyValue >= 0) {
      keyValues[line.slice(0, keyValue)] = line.slice(keyValue + 2);
      continue;
    }
    const pair = splitHeaderLine(line, ":");
    if (!pair) {
      throw new VolumeFormatError(
        path,
        `header line ${JSON.stringify(line)} is not "field: value"`,
      );
    }
    // "datafile" is an old spelling of "data file".
    fields.set(pair[0].toLowerCase() === "datafile" ? "data file" : pair[0].toLowerCase(), pair[1]);
  }
  return { fields, keyValues, dataStart: bytes.length };
}

function elementTypeOf(path: string, name: string): StoredVoxelType {
  const normalized = name.trim().toLowerCase().replace(/\s+/g, " ");
  for (const [type, names] of TYPE_NAMES) if (names.includes(normalized)) return type;
  throw new UnsupportedVolumeFormatError(path, `type ${JSON.stringify(name)} is not supported`);
}

/** Splits `space directions` into one entry per axis: a vector or `undefined` for "none". */
function parseDirections(path: string, text: string, rank: number): (number[] | undefined)[] {
  const entries = text.match(/\([^)]*\)|none/g) ?? [];
  if (entries.length !== rank) {
    throw new VolumeFormatError(
      path,
      `space directions lists ${entries.length} axes, dimension says ${rank}`,
      "the header is corrupt",
    );
  }
  return entries.map((entry) => {
    if (entry === "none") return undefined;
    const vector = entry.slice(1, -1).split(",").map(Number);
    if (vector.length !== 3 || !vector.every(Number.isFinite)) {
      throw new UnsupportedVolumeFormatError(
        path,
        `space direction ${entry} is not a finite 3-D vector`,
        "only 3-D spaces are supported",
      );
    }
    return vector;
  });
}

/** Which axes are spatial and which (at most one, first or last) holds channels. */
function axisLayoutOf(
  path: string,
  field: (key: string) => string | undefined,
  rank: number,
): { spatial: number[]; channelAxis?: number } {
  let spatial: number[];
  const directions = field("space directions");
  const kinds = field("kinds")?.split(/\s+/).map((kind) => kind.toLowerCase());
  const spatialKinds = ["domain", "space"];
  if (directions) {
    spatial = parseDirections(path, directions, rank).flatMap((v, axis) => (v ? [axis] : []));
  } else if (kinds && kinds.length === rank && kinds.some((kind) => spatialKinds.includes(kind))) {
    spatial = kinds.flatMap((kind, axis) => (spatialKinds.includes(kind) ? [axis] : []));
  } else {
    spatial = Array.from({ length: Math.min(rank, 3) }, (_, axis) => axis);
  }
  const others = Array.from({ length: rank }, (_, axis) => axis).filter((a) =>
    !spatial.includes(a)
  );
  const contiguous = spatial.every((axis, n) => n === 0 || axis === spatial[n - 1] + 1);
  const channelAxis = others[0];
  if (
    spatial.length < 2 || spatial.length > 3 || others.length > 1 || !contiguous ||
    (channelAxis !== undefined && channelAxis !== 0 && channelAxis !== rank - 1)
  ) {
    throw new UnsupportedVolumeFormatError(
      path,
      `axis layout not supported (${rank} axes, spatial ones: [${spatial}])`,
      "mipcandy reads 2-D/3-D images with at most one extra axis, first or last",
    );
  }
  return { spatial, channelAxis };
}

async function encodedBytesOf(
  path: string,
  fileBytes: Uint8Array,
  header: NrrdHeader,
  field: (key: string) => string | undefined,
): Promise<Uint8Array> {
  const dataFile = field("data file");
  let bytes: Uint8Array;
  if (dataFile === undefined) bytes = fileBytes.subarray(header.dataStart);
  else if (dataFile.startsWith("LIST") || dataFile.includes("%") || /\s\d/.test(dataFile)) {
    throw new UnsupportedVolumeFormatError(
      path,
      `data file: ${dataFile} splits the image over several files`,
      "merge them into one .nrrd first",
    );
  } else bytes = await readDataFile(path, dataFile);
  const lineSkip = Number(field("line skip") ?? 0);
  for (let line = 0; line < lineSkip; line++) {
    const end = bytes.indexOf(0x0a);
    if (end < 0) {
      throw new VolumeFormatError(path, `line skip ${lineSkip} runs past the end of the data`);
    }
    bytes = bytes.subarray(end + 1);
  }
  return bytes;
}

function byteSkipOf(
  path: string,
  field: (key: string) => string | undefined,
  available: number,
  needed: number,
  encoding: string,
): number {
  const skip = Number(field("byte skip") ?? 0);
  if (skip === -1) {
    if (encoding !== "raw") {
      throw new VolumeFormatError(path, "byte skip: -1 is only allowed with raw encoding");
    }
    // -1 means "the voxels are the last bytes of the data".
    return Math.max(0, available - needed);
  }
  if (!Number.isInteger(skip) || skip < 0) {
    throw new VolumeFormatError(path, `byte skip: ${field("byte skip")} is not valid`);
  }
  return skip;
}

/** RAS affine from space directions and origin, or from spacings without a space. */
function rasAffineOf(
  path: string,
  field: (key: string) => string | undefined,
  spatial: number[],
  rank: number,
): Float64Array {
  const affine = new Float64Array(16);
  affine[15] = 1;
  const directionsText = field("space directions");
  const space = (field("space") ?? "").toLowerCase().replace(/-time$|t$/, "");
  if (directionsText) {
    const flips = SPACE_TO_RAS[space];
    if (!flips) {
      throw new UnsupportedVolumeFormatError(
        path,
        `space ${JSON.stringify(field("space") ?? "")} is not supported`,
        "use a NRRD in right-anterior-superior or left-posterior-superior space",
      );
    }
    const directions = parseDirections(path, directionsText, rank);
    const originText = field("space origin");
    const origin = originText
      ? originText.replace(/[()\s]/g, "").split(",").map(Number)
      : [0, 0, 0];
    if (origin.length !== 3 || !origin.every(Number.isFinite)) {
      throw new VolumeFormatError(path, `space origin ${field("space origin")} is not a 3-D point`);
    }
    const sign = [flips[0] ? -1 : 1, flips[1] ? -1 : 1, 1];
    spatial.forEach((axis, column) => {
      const vector = directions[axis] as number[];
      for (let world = 0; world < 3; world++) {
        affine[world * 4 + column] = sign[world] * vector[world];
      }
    });
    for (let world = 0; world < 3; world++) affine[world * 4 + 3] = sign[world] * origin[world];
  } else {
    const spacings = field("spacings")?.split(/\s+/).map(Number) ?? [];
    spatial.forEach((axis, column) => {
      const spacing = spacings[axis];
      affine[column * 5] = Number.isFinite(spacing) && spacing > 0 ? spacing : 1;
    });
  }
  if (spatial.length === 2) affine[10] = 1; // a 2-D image gets a unit k axis along z
  return affine;
}

/** Options for writing NRRD. */
export interface NrrdWriteOptions {
  /** Data encoding; gzip by default. */
  encoding?: "gzip" | "raw";
}

/**
 * Writes a volume as `.nrrd` (one file) or `.nhdr` plus a `.raw`/`.raw.gz` data file beside
 * it, in LPS space. Channels go on a last "list" axis. Each file is written atomically; for
 * `.nhdr` the data file goes first so a header never points at missing data.
 *
 * @example
 * ```ts ignore
 * import { writeNrrd } from "./nrrd.ts";
 * await writeNrrd("mask.nrrd", volume);
 * ```
 */
export async function writeNrrd(
  path: string,
  volume: Volume,
  options: NrrdWriteOptions = {},
): Promise<void> {
  assertWritableVolume(path, volume);
  const encoding = options.encoding ?? "gzip";
  const voxels = encodeVoxels(volume.data, true);
  const payload = encoding === "gzip" ? gzipBytes(voxels) : voxels;
  const detached = path.toLowerCase().endsWith(".nhdr");
  const dataName = baseNameOf(path).replace(/\.nhdr$/i, encoding === "gzip" ? ".raw.gz" : ".raw");
  const header = nrrdHeaderText(volume, encoding, detached ? dataName : undefined);
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

function nrrdHeaderText(volume: Volume, encoding: string, dataFile: string | undefined): string {
  const lps = rasToLpsAffine(volume.affine);
  const vector = (values: number[]) => `(${values.join(",")})`;
  const directions = [0, 1, 2].map((axis) => vector([lps[axis], lps[4 + axis], lps[8 + axis]]));
  const hasChannels = volume.channels > 1;
  const lines = [
    "NRRD0004",
    "# Written by mipcandy",
    `type: ${WRITTEN_TYPE_NAMES[voxelTypeOf(volume.data)]}`,
    `dimension: ${hasChannels ? 4 : 3}`,
    "space: left-posterior-superior",
    `sizes: ${[...volume.dims, ...(hasChannels ? [volume.channels] : [])].join(" ")}`,
    `space directions: ${directions.join(" ")}${hasChannels ? " none" : ""}`,
    `kinds: domain domain domain${hasChannels ? " list" : ""}`,
    "endian: little",
    `encoding: ${encoding}`,
    `space origin: ${vector([lps[3], lps[7], lps[11]])}`,
    ...(dataFile ? [`data file: ${dataFile}`] : []),
  ];
  return lines.join("\n") + "\n" + (dataFile ? "" : "\n");
}
