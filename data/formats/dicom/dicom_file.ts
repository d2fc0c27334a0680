/**
 * Reading one DICOM file into what the series reader needs: identity (series UID, number,
 * description), pixel layout, and the placement of each frame in LPS patient space. The
 * data-set parsing itself is `dicom-parser`'s.
 *
 * @module
 */

import dicomParser from "dicom-parser";
import { inflateSync } from "fflate";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../../errors.ts";
import type { Vec3 } from "../../geometry.ts";
import {
  IMPLICIT_VR_LITTLE_ENDIAN,
  type TransferSyntax,
  transferSyntaxOf,
} from "./transfer_syntax.ts";

/** A parsed data set, as `dicom-parser` returns it. */
export type DicomDataSet = ReturnType<typeof dicomParser.parseDicom>;

/** Where one frame lies and how its stored values map to real values. */
export interface DicomFramePlacement {
  /** ImagePositionPatient: LPS position (mm) of the centre of the first pixel, if given. */
  position?: Vec3;
  /** ImageOrientationPatient: LPS row direction (along a row, i) then column direction (j). */
  orientation?: number[];
  /** PixelSpacing as DICOM orders it: [between rows (j), between columns (i)] in mm. */
  pixelSpacing?: [number, number];
  /** SliceThickness in mm, if given. */
  sliceThickness?: number;
  /** RescaleSlope (1 when absent). */
  rescaleSlope: number;
  /** RescaleIntercept (0 when absent). */
  rescaleIntercept: number;
}

/** How the pixels of a file are stored. */
export interface DicomPixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  /** 8, 16 or 32 for integer pixels; 32 or 64 for Float / Double Float Pixel Data. */
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** 0 samples interleaved per pixel, 1 one plane per sample. */
  planarConfiguration: number;
  photometricInterpretation: string;
  /** Which element holds the pixels: integer, float or double pixel data. */
  pixelTag: "x7fe00010" | "x7fe00008" | "x7fe00009";
}

/** The header facts of one DICOM image file. */
export interface DicomImageHeader {
  path: string;
  syntax: TransferSyntax;
  seriesInstanceUid?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  modality?: string;
  instanceNumber?: number;
  spacingBetweenSlices?: number;
  layout: DicomPixelLayout;
  /** One entry per frame (a single-frame file has one). */
  frames: DicomFramePlacement[];
}

/** A file that was looked at and left out, with the reason. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** A fully parsed file: its header and its data set, for decoding the pixels. */
export interface ParsedDicomFile {
  header: DicomImageHeader;
  dataSet: DicomDataSet;
}

const PREAMBLE = 128;

function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes.length >= PREAMBLE + 4 && bytes[128] === 0x44 && bytes[129] === 0x49 &&
    bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * The transfer syntax of a file without the "DICM" preamble (older files written straight
 * from a data set), guessed from its first element; undefined when it does not look like
 * DICOM at all.
 */
function guessRawTransferSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const groupLittle = bytes[0] | (bytes[1] << 8);
  const groupBig = (bytes[0] << 8) | bytes[1];
  const isVr = (at: number) =>
    bytes[at] >= 0x41 && bytes[at] <= 0x5a && bytes[at + 1] >= 0x41 && bytes[at + 1] <= 0x5a;
  if (groupLittle === 0x0008 || groupLittle === 0x0002) {
    return isVr(4) ? "1.2.840.10008.1.2.1" : IMPLICIT_VR_LITTLE_ENDIAN;
  }
  if (groupBig === 0x0008 && isVr(4)) return "1.2.840.10008.1.2.2";
  return undefined;
}

function inflateDataSet(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateSync(bytes.subarray(position));
  const full = new Uint8Array(position + inflated.length);
  full.set(bytes.subarray(0, position));
  full.set(inflated, position);
  return full;
}

function describeParserError(error: unknown): string {
  if (typeof error === "string") return error;
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "exception" in error) {
    return describeParserError((error as { exception: unknown }).exception);
  }
  return String(error);
}

/** Parses bytes into a data set, or says why they are not DICOM. */
function parseDataSet(
  bytes: Uint8Array,
): { dataSet: DicomDataSet; syntaxUid: string } | { notDicom: string } {
  let rawSyntax: string | undefined;
  if (!hasDicmPrefix(bytes)) {
    rawSyntax = guessRawTransferSyntax(bytes);
    if (!rawSyntax) return { notDicom: "no DICM prefix and no DICOM data set at the start" };
  }
  try {
    const dataSet = dicomParser.parseDicom(
      bytes,
      {
        ...(rawSyntax ? { TransferSyntaxUID: rawSyntax } : {}),
        inflater: inflateDataSet,
      } as Parameters<typeof dicomParser.parseDicom>[1],
    );
    const syntaxUid = dataSet.string("x00020010") ?? rawSyntax ?? IMPLICIT_VR_LITTLE_ENDIAN;
    return { dataSet, syntaxUid: syntaxUid.replace(/\0/g, "").trim() };
  } catch (error) {
    return { notDicom: `DICOM parsing failed (${describeParserError(error)})` };
  }
}

function numbers(dataSet: DicomDataSet, tag: string, count: number): number[] | undefined {
  if (!dataSet.elements[tag]) return undefined;
  const values: number[] = [];
  for (let n = 0; n < count; n++) {
    const value = dataSet.floatString(tag, n);
    if (value === undefined || !Number.isFinite(value)) return undefined;
    values.push(value);
  }
  return values;
}

function text(dataSet: DicomDataSet, tag: string): string | undefined {
  const value = dataSet.string(tag);
  return value === undefined || value === "" ? undefined : value;
}

/** The first item's data set of a sequence element, if any. */
function item(dataSet: DicomDataSet | undefined, tag: string, index = 0): DicomDataSet | undefined {
  return dataSet?.elements[tag]?.items?.[index]?.dataSet as DicomDataSet | undefined;
}

/** Reads the placement of frame `frame` from the enhanced functional groups. */
function functionalGroupPlacement(
  dataSet: DicomDataSet,
  frame: number,
  fallback: DicomFramePlacement,
): DicomFramePlacement {
  const perFrame = item(dataSet, "x52009230", frame);
  const shared = item(dataSet, "x52009229");
  const lookup = (sequence: string, tag: string, count: number) => {
    for (const group of [perFrame, shared]) {
      const values = numbers(
        item(group, sequence) ?? ({ elements: {} } as DicomDataSet),
        tag,
        count,
      );
      if (values) return values;
    }
    return undefined;
  };
  const position = lookup("x00209113", "x00200032", 3);
  const spacing = lookup("x00289110", "x00280030", 2);
  return {
    position: position ? [position[0], position[1], position[2]] : fallback.position,
    orientation: lookup("x00209116", "x00200037", 6) ?? fallback.orientation,
    pixelSpacing: spacing ? [spacing[0], spacing[1]] : fallback.pixelSpacing,
    sliceThickness: lookup("x00289110", "x00180050", 1)?.[0] ?? fallback.sliceThickness,
    rescaleSlope: lookup("x00289145", "x00281053", 1)?.[0] ?? fallback.rescaleSlope,
    rescaleIntercept: lookup("x00289145", "x00281052", 1)?.[0] ?? fallback.rescaleIntercept,
  };
}

function cross(a: ArrayLike<number>, b: ArrayLike<number>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Placements of every frame of a multi-frame file; throws when it gives no positions. */
function multiFramePlacements(
  path: string,
  dataSet: DicomDataSet,
  count: number,
  base: DicomFramePlacement,
): DicomFramePlacement[] {
  if (dataSet.elements.x52009230) {
    const frames: DicomFramePlacement[] = [];
    for (let frame = 0; frame < count; frame++) {
      frames.push(functionalGroupPlacement(dataSet, frame, base));
    }
    if (frames.every((frame) => frame.position && frame.orientation)) return frames;
  }
  const offsets = numbers(dataSet, "x3004000c", count);
  if (offsets && base.position && base.orientation) {
    // Grid Frame Offset Vector (RT Dose): offsets along the normal, relative to frame 0.
    const normal = cross(base.orientation.slice(0, 3), base.orientation.slice(3, 6));
    return offsets.map((offset) => {
      const along = offset - offsets[0];
      const [x, y, z] = base.position!;
      return {
        ...base,
        position: [x + along * normal[0], y + along * normal[1], z + along * normal[2]],
      };
    });
  }
  throw new UnsupportedVolumeFormatError(
    path,
    `is a multi-frame image (${count} frames) that gives no position for each frame ` +
      "(neither Per-frame Functional Groups with Plane Position nor a Grid Frame Offset Vector)",
    "convert it to single-frame files or to NIfTI with dcm2niix",
  );
}

function pixelLayout(path: string, dataSet: DicomDataSet): DicomPixelLayout {
  const pixelTag = dataSet.elements.x7fe00010
    ? "x7fe00010"
    : dataSet.elements.x7fe00008
    ? "x7fe00008"
    : dataSet.elements.x7fe00009
    ? "x7fe00009"
    : undefined;
  if (!pixelTag) {
    throw new VolumeFormatError(
      path,
      "is a DICOM image (it has Rows and Columns) but holds no Pixel Data",
      "the file is truncated or was stripped of its pixels; remove it or re-export the series",
    );
  }
  const floatBits = pixelTag === "x7fe00008" ? 32 : pixelTag === "x7fe00009" ? 64 : 0;
  const bitsAllocated = floatBits || (dataSet.uint16("x00280100") ?? 16);
  return {
    rows: dataSet.uint16("x00280010")!,
    columns: dataSet.uint16("x00280011")!,
    samplesPerPixel: dataSet.uint16("x00280002") ?? 1,
    bitsAllocated,
    bitsStored: floatBits || (dataSet.uint16("x00280101") ?? bitsAllocated),
    pixelRepresentation: dataSet.uint16("x00280103") ?? 0,
    planarConfiguration: dataSet.uint16("x00280006") ?? 0,
    photometricInterpretation: text(dataSet, "x00280004") ?? "MONOCHROME2",
    pixelTag,
  };
}

/** A DICOM image file that cannot be used, and the error reading it would raise. */
export interface UnusableDicomFile extends SkippedFile {
  seriesInstanceUid?: string;
  error: VolumeFormatError;
}

/**
 * Parses one file. Returns `{ skipped }` for files that are not DICOM images (other files,
 * DICOMDIR, structured reports) and `{ unusable }` for DICOM images that cannot be read (no
 * pixel data, a multi-frame layout without positions), so the caller can decide whether
 * they matter: they do only when they belong to the series being read.
 */
export function parseDicomFile(
  path: string,
  bytes: Uint8Array,
): ParsedDicomFile | { skipped: SkippedFile } | { unusable: UnusableDicomFile } {
  const parsed = parseDataSet(bytes);
  if ("notDicom" in parsed) return { skipped: { path, reason: parsed.notDicom } };
  const { dataSet, syntaxUid } = parsed;
  if (dataSet.uint16("x00280010") === undefined || dataSet.uint16("x00280011") === undefined) {
    const sopClass = text(dataSet, "x00080016");
    return {
      skipped: { path, reason: `DICOM without an image (SOP class ${sopClass ?? "unknown"})` },
    };
  }
  const seriesInstanceUid = text(dataSet, "x0020000e")?.replace(/\0/g, "");
  try {
    return { dataSet, header: imageHeader(path, dataSet, syntaxUid, seriesInstanceUid) };
  } catch (error) {
    if (!(error instanceof VolumeFormatError)) throw error;
    return { unusable: { path, reason: error.problem, seriesInstanceUid, error } };
  }
}

function imageHeader(
  path: string,
  dataSet: DicomDataSet,
  syntaxUid: string,
  seriesInstanceUid: string | undefined,
): DicomImageHeader {
  const position = numbers(dataSet, "x00200032", 3);
  const spacing = numbers(dataSet, "x00280030", 2) ?? numbers(dataSet, "x00181164", 2);
  const base: DicomFramePlacement = {
    position: position ? [position[0], position[1], position[2]] : undefined,
    orientation: numbers(dataSet, "x00200037", 6),
    pixelSpacing: spacing ? [spacing[0], spacing[1]] : undefined,
    sliceThickness: numbers(dataSet, "x00180050", 1)?.[0],
    // RT Dose scales its pixels by DoseGridScaling instead of RescaleSlope.
    rescaleSlope: numbers(dataSet, "x00281053", 1)?.[0] ?? numbers(dataSet, "x3004000e", 1)?.[0] ??
      1,
    rescaleIntercept: numbers(dataSet, "x00281052", 1)?.[0] ?? 0,
  };
  const frameCount = Math.max(1, dataSet.intString("x00280008") ?? 1);
  const frames = frameCount === 1
    ? [dataSet.elements.x52009230 ? functionalGroupPlacement(dataSet, 0, base) : base]
    : multiFramePlacements(path, dataSet, frameCount, base);
  const seriesNumber = dataSet.intString("x00200011");
  const instanceNumber = dataSet.intString("x00200013");
  return {
    path,
    syntax: transferSyntaxOf(syntaxUid),
    seriesInstanceUid,
    seriesNumber: Number.isFinite(seriesNumber) ? seriesNumber : undefined,
    seriesDescription: text(dataSet, "x0008103e"),
    modality: text(dataSet, "x00080060"),
    instanceNumber: Number.isFinite(instanceNumber) ? instanceNumber : undefined,
    spacingBetweenSlices: numbers(dataSet, "x00180088", 1)?.[0],
    layout: pixelLayout(path, dataSet),
    frames,
  };
}
