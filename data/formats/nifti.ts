/**
 * NIfTI-1 and NIfTI-2 single-file images (`.nii`, `.nii.gz`).
 *
 * Reading accepts both versions, both byte orders, gzip or not (detected from the bytes),
 * the common datatypes (u8, i8, i16, u16, i32, u32, f32, f64, i64/u64 within float64's exact
 * range, RGB24 and RGBA32 as 3 or 4 channels), applies scl_slope/scl_inter, and chooses the
 * affine as nibabel does: sform when sform_code > 0, else qform when qform_code > 0. With
 * neither, the affine is spacing-only (NIfTI "method 1"); nibabel instead centres and flips
 * x in that case, a convention inherited from Analyze. Dimensions 4 to 7 become channels.
 *
 * Writing produces NIfTI-1 (NIfTI-2 only when a dimension exceeds 32767 or when asked), with
 * both sform and qform filled in, atomically.
 *
 * @module
 */

import { atomicWriteFile } from "../../core/serialize/atomic_write.ts";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../errors.ts";
import { invertAffine } from "../geometry.ts";
import type { Volume, VoxelArray } from "../volume.ts";
import { gunzipVolumeBytes, gzipBytes, isGzip } from "./compression.ts";
import {
  NIFTI_HEADER_SIZE,
  type NiftiHeader,
  parseNiftiHeader,
  serializeNiftiHeader,
} from "./nifti_header.ts";
import { affineToQform, hasOrthogonalAxes, qformToAffine } from "./nifti_qform.ts";
import { assertWritableVolume } from "./volume_check.ts";
import {
  applyNonFinitePolicy,
  BYTES_PER_VOXEL,
  decodeVoxels,
  deinterleaveChannelGroups,
  encodeVoxels,
  interleaveChannelGroups,
  type ReadVolumeOptions,
  type StoredVoxelType,
  voxelCount,
  type VoxelType,
  voxelTypeOf,
} from "./voxel_codec.ts";

/** How a NIfTI datatype code is stored: element type and components per voxel. */
interface NiftiDatatype {
  name: string;
  element: StoredVoxelType;
  components: number;
}

const DATATYPES: Record<number, NiftiDatatype> = {
  2: { name: "uint8", element: "uint8", components: 1 },
  4: { name: "int16", element: "int16", components: 1 },
  8: { name: "int32", element: "int32", components: 1 },
  16: { name: "float32", element: "float32", components: 1 },
  64: { name: "float64", element: "float64", components: 1 },
  128: { name: "rgb24", element: "uint8", components: 3 },
  256: { name: "int8", element: "int8", components: 1 },
  512: { name: "uint16", element: "uint16", components: 1 },
  768: { name: "uint32", element: "uint32", components: 1 },
  1024: { name: "int64", element: "int64", components: 1 },
  1280: { name: "uint64", element: "uint64", components: 1 },
  2304: { name: "rgba32", element: "uint8", components: 4 },
};

const UNSUPPORTED_DATATYPES: Record<number, string> = {
  1: "binary (1 bit)",
  32: "complex64",
  1536: "float128",
  1792: "complex128",
  2048: "complex256",
};

const DATATYPE_CODES: Record<VoxelType, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

const RGB24 = 128;
/** NIfTI xform codes: 1 scanner anatomical, 2 aligned to another scan. */
const XFORM_SCANNER = 1;
const XFORM_ALIGNED = 2;
/** Formats whose world coordinates are the scanner's, so the NIfTI written from them says so. */
const SCANNER_FORMATS = new Set(["dicom", "metaimage", "nrrd"]);

/** Where a NIfTI volume's affine came from. */
export type NiftiAffineSource = "sform" | "qform" | "spacing";

/**
 * Reads a `.nii` or `.nii.gz` file.
 *
 * @example
 * ```ts ignore
 * import { readNifti } from "./nifti.ts";
 * const volume = await readNifti("case_001.nii.gz");
 * console.log(volume.dims, volume.meta.datatype);
 * ```
 */
export async function readNifti(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  return decodeNifti(path, await Deno.readFile(path), options);
}

/** Decodes NIfTI bytes (gzipped or not); `path` only labels errors and `meta`. */
export function decodeNifti(
  path: string,
  fileBytes: Uint8Array,
  options: ReadVolumeOptions = {},
): Volume {
  const bytes = isGzip(fileBytes) ? gunzipVolumeBytes(path, fileBytes) : fileBytes;
  const header = parseNiftiHeader(path, bytes);
  const datatype = datatypeOf(path, header.datatype);
  const { dims, extraDims } = dimensionsOf(path, header);
  const voxels = voxelCount(path, dims);
  const volumes = voxelCount(path, extraDims);
  const offset = dataOffsetOf(path, header, bytes.length);
  const count = voxels * volumes * datatype.components;
  const available = bytes.length - offset;
  const needed = count * BYTES_PER_VOXEL[datatype.element];
  if (needed > available) {
    throw new VolumeFormatError(
      path,
      `header says ${dims.join("×")}×${volumes} voxels of ${datatype.name} (${needed} bytes) ` +
        `after vox_offset ${offset}, but only ${available} bytes are there`,
      "the file is truncated or its header is wrong",
    );
  }
  let data = decodeVoxels(path, bytes, offset, count, datatype.element, header.littleEndian);
  // RGB(A) voxels keep their components together; each component becomes a channel.
  data = deinterleaveChannelGroups(data, datatype.components, volumes);
  const scaled = datatype.components === 1 ? applyScaling(data, header) : undefined;
  if (scaled) data = scaled;
  applyNonFinitePolicy(path, data, options.nonFinite);
  const { affine, source } = chooseAffine(header);
  return {
    data,
    dims,
    channels: volumes * datatype.components,
    affine,
    meta: {
      format: `nifti${header.version}`,
      path,
      datatype: datatype.name,
      description: header.descrip,
      affineSource: source,
      scaled: scaled !== undefined,
      nifti: header,
    },
  };
}

function datatypeOf(path: string, code: number): NiftiDatatype {
  const datatype = DATATYPES[code];
  if (datatype) return datatype;
  if (UNSUPPORTED_DATATYPES[code]) {
    throw new UnsupportedVolumeFormatError(
      path,
      `datatype ${code} (${UNSUPPORTED_DATATYPES[code]}) is not supported`,
      "convert the image to an integer or float type first",
    );
  }
  throw new VolumeFormatError(path, `unknown NIfTI datatype code ${code}`, "the header is corrupt");
}

function dimensionsOf(
  path: string,
  header: NiftiHeader,
): { dims: [number, number, number]; extraDims: number[] } {
  const rank = header.dim[0];
  if (!Number.isInteger(rank) || rank < 1 || rank > 7) {
    throw new VolumeFormatError(
      path,
      `dim[0] = ${rank} is not a number of dimensions between 1 and 7`,
      "the header is corrupt",
    );
  }
  const size = (axis: number) => (axis <= rank ? header.dim[axis] : 1);
  const extraDims = header.dim.slice(4, rank + 1);
  return { dims: [size(1), size(2), size(3)], extraDims: extraDims.length ? extraDims : [1] };
}

function dataOffsetOf(path: string, header: NiftiHeader, fileLength: number): number {
  const headerSize = NIFTI_HEADER_SIZE[header.version];
  // Some writers leave vox_offset at 0 in single files; nibabel then reads after the header.
  const offset = header.voxOffset === 0 ? headerSize + 4 : header.voxOffset;
  if (!Number.isInteger(offset) || offset < headerSize) {
    throw new VolumeFormatError(
      path,
      `vox_offset ${header.voxOffset} points inside the ${headerSize}-byte header`,
      "the header is corrupt",
    );
  }
  if (offset > fileLength) {
    throw new VolumeFormatError(
      path,
      `vox_offset ${offset} is beyond the end of the file (${fileLength} bytes)`,
      "the file is truncated or its header is wrong",
    );
  }
  return offset;
}

/** Applies scl_slope/scl_inter; `undefined` when the header asks for no scaling. */
function applyScaling(data: VoxelArray, header: NiftiHeader): VoxelArray | undefined {
  const slope = header.sclSlope;
  const intercept = Number.isFinite(header.sclInter) ? header.sclInter : 0;
  // As in nibabel, a slope of 0 or NaN means "not set".
  if (!Number.isFinite(slope) || slope === 0 || (slope === 1 && intercept === 0)) return undefined;
  const out = data instanceof Float64Array
    ? new Float64Array(data.length)
    : new Float32Array(data.length);
  for (let n = 0; n < data.length; n++) out[n] = data[n] * slope + intercept;
  return out;
}

function isUsableAffine(affine: Float64Array): boolean {
  if (!affine.every(Number.isFinite)) return false;
  try {
    invertAffine(affine);
    return true;
  } catch {
    return false;
  }
}

function chooseAffine(header: NiftiHeader): { affine: Float64Array; source: NiftiAffineSource } {
  if (header.sformCode > 0) {
    const affine = Float64Array.from([
      ...header.srowX,
      ...header.srowY,
      ...header.srowZ,
      0,
      0,
      0,
      1,
    ]);
    // A set code with a singular or NaN sform is a writer bug; fall back rather than fail.
    if (isUsableAffine(affine)) return { affine, source: "sform" };
  }
  const spacing = [1, 2, 3].map((axis) => {
    const value = Math.abs(header.pixdim[axis]);
    return Number.isFinite(value) && value > 0 ? value : 1;
  }) as [number, number, number];
  if (header.qformCode > 0) {
    const affine = qformToAffine({
      b: header.quaternB,
      c: header.quaternC,
      d: header.quaternD,
      qfac: header.pixdim[0] < 0 ? -1 : 1,
      spacing,
      offset: [header.qoffsetX, header.qoffsetY, header.qoffsetZ],
    });
    if (isUsableAffine(affine)) return { affine, source: "qform" };
  }
  const affine = Float64Array.of(
    spacing[0],
    0,
    0,
    0,
    0,
    spacing[1],
    0,
    0,
    0,
    0,
    spacing[2],
    0,
    0,
    0,
    0,
    1,
  );
  return { affine, source: "spacing" };
}

/** Options for writing NIfTI. */
export interface NiftiWriteOptions {
  /** Header version; by default 1, or 2 when a dimension does not fit NIfTI-1's int16. */
  version?: 1 | 2;
  /** gzip the output; by default when the path ends in `.gz`. */
  compress?: boolean;
}

/**
 * Writes a volume as `.nii` or `.nii.gz` (atomically: temporary file, then rename).
 *
 * @example
 * ```ts ignore
 * import { writeNifti } from "./nifti.ts";
 * await writeNifti("prediction.nii.gz", volume);
 * ```
 */
export async function writeNifti(
  path: string,
  volume: Volume,
  options: NiftiWriteOptions = {},
): Promise<void> {
  const bytes = encodeNifti(path, volume, options);
  const compress = options.compress ?? path.toLowerCase().endsWith(".gz");
  await atomicWriteFile(path, compress ? gzipBytes(bytes) : bytes);
}

/** The uncompressed NIfTI bytes of a volume; `path` only labels errors. */
export function encodeNifti(
  path: string,
  volume: Volume,
  options: NiftiWriteOptions = {},
): Uint8Array {
  assertWritableVolume(path, volume);
  const source = sourceHeaderOf(volume);
  const type = voxelTypeOf(volume.data);
  const writeRgb = source?.datatype === RGB24 && type === "uint8" && volume.channels % 3 === 0;
  const components = writeRgb ? 3 : 1;
  const dim = dimsToWrite(volume, source, components);
  const version = options.version ?? (dim.some((n) => n > 32767) ? 2 : 1);
  if (version === 1 && dim.some((n) => n > 32767)) {
    throw new UnsupportedVolumeFormatError(
      path,
      `dimensions [${dim.slice(1, dim[0] + 1)}] do not fit NIfTI-1 (at most 32767)`,
      "write NIfTI-2 instead ({ version: 2 })",
    );
  }
  const header = buildHeader(volume, source, version, dim, writeRgb ? RGB24 : DATATYPE_CODES[type]);
  let data: VoxelArray = volume.data;
  if (writeRgb) data = interleaveChannelGroups(data, 3, volume.channels / 3);
  const voxels = encodeVoxels(data, true);
  const out = new Uint8Array(header.voxOffset + voxels.length);
  out.set(serializeNiftiHeader(header), 0);
  out.set(voxels, header.voxOffset);
  return out;
}

function sourceHeaderOf(volume: Volume): NiftiHeader | undefined {
  const header = volume.meta.nifti as NiftiHeader | undefined;
  return header && Array.isArray(header.dim) && Array.isArray(header.pixdim) ? header : undefined;
}

/** dim[0..7]; dimensions 4+ come back as in the source file when they still add up. */
function dimsToWrite(
  volume: Volume,
  source: NiftiHeader | undefined,
  components: number,
): number[] {
  const volumes = volume.channels / components;
  const dim = [3, ...volume.dims, 1, 1, 1, 1];
  const sourceRank = source?.dim[0] ?? 3;
  const sourceExtra = sourceRank > 3 && source ? source.dim.slice(4, sourceRank + 1) : [];
  if (sourceExtra.length && sourceExtra.reduce((a, b) => a * b, 1) === volumes) {
    dim[0] = sourceRank;
    sourceExtra.forEach((n, axis) => (dim[4 + axis] = n));
  } else if (volumes > 1) {
    dim[0] = 4;
    dim[4] = volumes;
  }
  return dim;
}

function buildHeader(
  volume: Volume,
  source: NiftiHeader | undefined,
  version: 1 | 2,
  dim: number[],
  datatype: number,
): NiftiHeader {
  const qform = affineToQform(volume.affine);
  const format = String(volume.meta.format ?? "");
  const defaultCode = SCANNER_FORMATS.has(format) ? XFORM_SCANNER : XFORM_ALIGNED;
  const sformCode = source?.sformCode || source?.qformCode || defaultCode;
  // A qform cannot hold shear; then code 0 tells readers (ITK too) to use the sform.
  const qformCode = hasOrthogonalAxes(volume.affine) ? source?.qformCode || sformCode : 0;
  const pixdim = [qform.qfac, ...qform.spacing, ...(source?.pixdim.slice(4) ?? [1, 1, 1, 1])];
  const a = volume.affine;
  const description = volume.meta.description ?? source?.descrip ?? "";
  return {
    version,
    littleEndian: true,
    dim,
    pixdim: pixdim.map((v) => (Number.isFinite(v) ? v : 1)),
    datatype,
    bitpix: datatype === RGB24 ? 24 : volume.data.BYTES_PER_ELEMENT * 8,
    voxOffset: NIFTI_HEADER_SIZE[version] + 4,
    sclSlope: 1,
    sclInter: 0,
    calMax: source?.calMax ?? 0,
    calMin: source?.calMin ?? 0,
    sliceStart: source?.sliceStart ?? 0,
    sliceEnd: source?.sliceEnd ?? 0,
    sliceCode: source?.sliceCode ?? 0,
    sliceDuration: source?.sliceDuration ?? 0,
    toffset: source?.toffset ?? 0,
    xyztUnits: source?.xyztUnits ?? 10, // millimetres and seconds
    dimInfo: source?.dimInfo ?? 0,
    intentCode: source?.intentCode ?? 0,
    intentP1: source?.intentP1 ?? 0,
    intentP2: source?.intentP2 ?? 0,
    intentP3: source?.intentP3 ?? 0,
    intentName: source?.intentName ?? "",
    descrip: String(description),
    auxFile: source?.auxFile ?? "",
    qformCode,
    sformCode,
    quaternB: qform.b,
    quaternC: qform.c,
    quaternD: qform.d,
    qoffsetX: qform.offset[0],
    qoffsetY: qform.offset[1],
    qoffsetZ: qform.offset[2],
    srowX: [a[0], a[1], a[2], a[3]],
    srowY: [a[4], a[5], a[6], a[7]],
    srowZ: [a[8], a[9], a[10], a[11]],
    magic: version === 1 ? "n+1" : "n+2",
  };
}
