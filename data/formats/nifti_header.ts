/**
 * The NIfTI-1 (348-byte) and NIfTI-2 (540-byte) headers as one field table each, so that
 * parsing and serialising share a single description of the layout.
 *
 * @module
 */

import { UnsupportedVolumeFormatError, VolumeFormatError } from "../errors.ts";

/** Header fields mipcandy uses, the same for both versions (numbers widened to float64). */
export interface NiftiHeader {
  /** 1 for the 348-byte header, 2 for the 540-byte one. */
  version: 1 | 2;
  /** Byte order of the header and the voxels. */
  littleEndian: boolean;
  /** `dim[0]` is the number of dimensions, `dim[1..7]` their sizes. */
  dim: number[];
  /** `pixdim[0]` is qfac (±1), `pixdim[1..7]` the voxel sizes. */
  pixdim: number[];
  /** NIfTI datatype code (2 = uint8, 16 = float32, …). */
  datatype: number;
  /** Bits per voxel. */
  bitpix: number;
  /** Byte offset of the voxels; 0 in a single file means "right after the header". */
  voxOffset: number;
  /** Voxel scaling slope; 0 or NaN means none. */
  sclSlope: number;
  /** Voxel scaling intercept. */
  sclInter: number;
  /** Display range maximum. */
  calMax: number;
  /** Display range minimum. */
  calMin: number;
  /** First slice of the slice-timing pattern. */
  sliceStart: number;
  /** Last slice of the slice-timing pattern. */
  sliceEnd: number;
  /** Slice-timing order code. */
  sliceCode: number;
  /** Time to acquire one slice. */
  sliceDuration: number;
  /** Time axis shift. */
  toffset: number;
  /** Spatial and temporal unit codes (2 = mm, 8 = s). */
  xyztUnits: number;
  /** Frequency, phase and slice axes, packed. */
  dimInfo: number;
  /** Statistical or other meaning of the voxels (0 = none). */
  intentCode: number;
  /** First intent parameter. */
  intentP1: number;
  /** Second intent parameter. */
  intentP2: number;
  /** Third intent parameter. */
  intentP3: number;
  /** Name of the intent. */
  intentName: string;
  /** Free-text description. */
  descrip: string;
  /** Auxiliary file name. */
  auxFile: string;
  /** What the qform's world is (0 = unused, 1 = scanner, 2 = aligned, …). */
  qformCode: number;
  /** What the sform's world is (0 = unused, 1 = scanner, 2 = aligned, …). */
  sformCode: number;
  /** qform quaternion b. */
  quaternB: number;
  /** qform quaternion c. */
  quaternC: number;
  /** qform quaternion d. */
  quaternD: number;
  /** qform origin x. */
  qoffsetX: number;
  /** qform origin y. */
  qoffsetY: number;
  /** qform origin z. */
  qoffsetZ: number;
  /** First row of the sform affine. */
  srowX: number[];
  /** Second row of the sform affine. */
  srowY: number[];
  /** Third row of the sform affine. */
  srowZ: number[];
  /** `n+1`, `ni1` or `n+2` without the padding. */
  magic: string;
}

type FieldType = "u8" | "i16" | "i32" | "i64" | "f32" | "f64" | "str";
type FieldName = Exclude<keyof NiftiHeader, "version" | "littleEndian">;
/** name, type, byte offset, element count (string length for "str"). */
type Field = [FieldName, FieldType, number, number];

const NIFTI1_FIELDS: Field[] = [
  ["dimInfo", "u8", 39, 1],
  ["dim", "i16", 40, 8],
  ["intentP1", "f32", 56, 1],
  ["intentP2", "f32", 60, 1],
  ["intentP3", "f32", 64, 1],
  ["intentCode", "i16", 68, 1],
  ["datatype", "i16", 70, 1],
  ["bitpix", "i16", 72, 1],
  ["sliceStart", "i16", 74, 1],
  ["pixdim", "f32", 76, 8],
  ["voxOffset", "f32", 108, 1],
  ["sclSlope", "f32", 112, 1],
  ["sclInter", "f32", 116, 1],
  ["sliceEnd", "i16", 120, 1],
  ["sliceCode", "u8", 122, 1],
  ["xyztUnits", "u8", 123, 1],
  ["calMax", "f32", 124, 1],
  ["calMin", "f32", 128, 1],
  ["sliceDuration", "f32", 132, 1],
  ["toffset", "f32", 136, 1],
  ["descrip", "str", 148, 80],
  ["auxFile", "str", 228, 24],
  ["qformCode", "i16", 252, 1],
  ["sformCode", "i16", 254, 1],
  ["quaternB", "f32", 256, 1],
  ["quaternC", "f32", 260, 1],
  ["quaternD", "f32", 264, 1],
  ["qoffsetX", "f32", 268, 1],
  ["qoffsetY", "f32", 272, 1],
  ["qoffsetZ", "f32", 276, 1],
  ["srowX", "f32", 280, 4],
  ["srowY", "f32", 296, 4],
  ["srowZ", "f32", 312, 4],
  ["intentName", "str", 328, 16],
  ["magic", "str", 344, 4],
];

const NIFTI2_FIELDS: Field[] = [
  ["magic", "str", 4, 4],
  ["datatype", "i16", 12, 1],
  ["bitpix", "i16", 14, 1],
  ["dim", "i64", 16, 8],
  ["intentP1", "f64", 80, 1],
  ["intentP2", "f64", 88, 1],
  ["intentP3", "f64", 96, 1],
  ["pixdim", "f64", 104, 8],
  ["voxOffset", "i64", 168, 1],
  ["sclSlope", "f64", 176, 1],
  ["sclInter", "f64", 184, 1],
  ["calMax", "f64", 192, 1],
  ["calMin", "f64", 200, 1],
  ["sliceDuration", "f64", 208, 1],
  ["toffset", "f64", 216, 1],
  ["sliceStart", "i64", 224, 1],
  ["sliceEnd", "i64", 232, 1],
  ["descrip", "str", 240, 80],
  ["auxFile", "str", 320, 24],
  ["qformCode", "i32", 344, 1],
  ["sformCode", "i32", 348, 1],
  ["quaternB", "f64", 352, 1],
  ["quaternC", "f64", 360, 1],
  ["quaternD", "f64", 368, 1],
  ["qoffsetX", "f64", 376, 1],
  ["qoffsetY", "f64", 384, 1],
  ["qoffsetZ", "f64", 392, 1],
  ["srowX", "f64", 400, 4],
  ["srowY", "f64", 432, 4],
  ["srowZ", "f64", 464, 4],
  ["sliceCode", "i32", 496, 1],
  ["xyztUnits", "i32", 500, 1],
  ["intentCode", "i32", 504, 1],
  ["intentName", "str", 508, 16],
  ["dimInfo", "u8", 524, 1],
];

/** Header sizes; the voxels of a single file start at least 4 bytes (the extension flag) later. */
export const NIFTI_HEADER_SIZE: Record<1 | 2, number> = { 1: 348, 2: 540 };

/** NIfTI-2's magic continues with bytes that catch text-mode transfer damage. */
const NIFTI2_MAGIC_TAIL = [0x0d, 0x0a, 0x1a, 0x0a];

const SIZE: Record<Exclude<FieldType, "str">, number> = {
  u8: 1,
  i16: 2,
  i32: 4,
  i64: 8,
  f32: 4,
  f64: 8,
};

function readScalar(view: DataView, type: FieldType, at: number, little: boolean): number {
  switch (type) {
    case "u8":
      return view.getUint8(at);
    case "i16":
      return view.getInt16(at, little);
    case "i32":
      return view.getInt32(at, little);
    case "i64":
      return Number(view.getBigInt64(at, little));
    case "f32":
      return view.getFloat32(at, little);
    default:
      return view.getFloat64(at, little);
  }
}

function writeScalar(view: DataView, type: FieldType, at: number, value: number): void {
  switch (type) {
    case "u8":
      return view.setUint8(at, value);
    case "i16":
      return view.setInt16(at, value, true);
    case "i32":
      return view.setInt32(at, value, true);
    case "i64":
      return view.setBigInt64(at, BigInt(Math.round(value)), true);
    case "f32":
      return view.setFloat32(at, value, true);
    default:
      return view.setFloat64(at, value, true);
  }
}

function readText(bytes: Uint8Array, at: number, length: number): string {
  const field = bytes.subarray(at, at + length);
  const end = field.indexOf(0);
  // latin1 keeps every byte as one character, so odd bytes never throw.
  return new TextDecoder("latin1").decode(end >= 0 ? field.subarray(0, end) : field);
}

/** Detects version and byte order from `sizeof_hdr` (348 or 540, in either byte order). */
function detectVersion(path: string, view: DataView): { version: 1 | 2; littleEndian: boolean } {
  if (view.byteLength < 4) {
    throw new VolumeFormatError(path, `only ${view.byteLength} bytes; too short for NIfTI`);
  }
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === 348) return { version: 1, littleEndian };
    if (size === 540) return { version: 2, littleEndian };
  }
  throw new VolumeFormatError(
    path,
    `not a NIfTI file: header size field is ${view.getInt32(0, true)}, expected 348 or 540`,
    "check the file extension, or whether the file is corrupt",
  );
}

/** Parses the header at the start of `bytes`, checking size and magic. */
export function parseNiftiHeader(path: string, bytes: Uint8Array): NiftiHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { version, littleEndian } = detectVersion(path, view);
  const size = NIFTI_HEADER_SIZE[version];
  if (bytes.length < size) {
    throw new VolumeFormatError(
      path,
      `NIfTI-${version} header needs ${size} bytes, file has ${bytes.length}`,
      "the file is truncated",
    );
  }
  const header = { version, littleEndian } as Record<string, unknown>;
  for (const [name, type, at, count] of version === 1 ? NIFTI1_FIELDS : NIFTI2_FIELDS) {
    if (type === "str") header[name] = readText(bytes, at, count);
    else if (count === 1) header[name] = readScalar(view, type, at, littleEndian);
    else {
      header[name] = Array.from(
        { length: count },
        (_, n) => readScalar(view, type, at + n * SIZE[type], littleEndian),
      );
    }
  }
  const parsed = header as unknown as NiftiHeader;
  checkMagic(path, bytes, parsed);
  return parsed;
}

function checkMagic(path: string, bytes: Uint8Array, header: NiftiHeader): void {
  const expected = header.version === 1 ? "n+1" : "n+2";
  if (header.magic === "ni1" || header.magic === "ni2") {
    throw new UnsupportedVolumeFormatError(
      path,
      "this is the header of a .hdr/.img NIfTI pair",
      "convert it to a single .nii file (for example with nibabel or fslchfiletype)",
    );
  }
  if (header.magic !== expected) {
    throw new VolumeFormatError(
      path,
      `bad NIfTI-${header.version} magic ${JSON.stringify(header.magic)}, expected "${expected}"`,
      header.version === 1 && header.magic === ""
        ? "this looks like an Analyze 7.5 file, which carries no reliable orientation; convert it to NIfTI"
        : "the file is corrupt or not NIfTI",
    );
  }
  if (header.version === 2 && NIFTI2_MAGIC_TAIL.some((byte, n) => bytes[8 + n] !== byte)) {
    throw new VolumeFormatError(
      path,
      "NIfTI-2 magic is damaged (line endings were converted?)",
      "transfer the file in binary mode",
    );
  }
}

/** Serialises a header (little-endian) into `NIFTI_HEADER_SIZE[version]` bytes. */
export function serializeNiftiHeader(header: NiftiHeader): Uint8Array {
  const size = NIFTI_HEADER_SIZE[header.version];
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, size, true);
  const record = header as unknown as Record<string, unknown>;
  const encoder = new TextEncoder();
  for (const [name, type, at, count] of header.version === 1 ? NIFTI1_FIELDS : NIFTI2_FIELDS) {
    const value = record[name];
    if (type === "str") {
      // Keep one byte for the terminating NUL; non-ASCII is dropped rather than mangled.
      const text = encoder.encode(String(value).replace(/[^\x20-\x7e]/g, "?"));
      bytes.set(text.subarray(0, count - 1), at);
    } else if (count === 1) writeScalar(view, type, at, value as number);
    else (value as number[]).forEach((v, n) => writeScalar(view, type, at + n * SIZE[type], v));
  }
  if (header.version === 2) bytes.set(NIFTI2_MAGIC_TAIL, 8);
  else bytes[38] = 0x72; // "regular" = 'r', which some Analyze-era readers still check.
  return bytes;
}
