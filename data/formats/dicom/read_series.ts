/**
 * Reading one DICOM series from a folder into a {@link Volume}.
 *
 * @module
 */

import type { Volume, VoxelArray } from "../../volume.ts";
import { applyNonFinitePolicy, type ReadVolumeOptions } from "../voxel_codec.ts";
import { type DicomImageHeader, parseDicomFile } from "./dicom_file.ts";
import {
  DicomSeriesNotFoundError,
  InconsistentDicomSeriesError,
  NoDicomImagesError,
} from "./errors.ts";
import { decodeFramePixels } from "./pixel_data.ts";
import {
  describeSeries,
  type DicomSeriesSummary,
  scanDicomFolder,
  type ScannedSeries,
} from "./series_scan.ts";
import { type DicomSlice, seriesGeometry } from "./slice_geometry.ts";

/** Options for {@link readDicomSeries}. */
export interface ReadDicomSeriesOptions extends ReadVolumeOptions {
  /**
   * SeriesInstanceUID of the series to read (or a `no-uid:` key from
   * {@link listDicomSeries}). Default: the series with the most slices.
   */
  seriesUid?: string;
  /** Throw instead of warning when slices are unevenly spaced or missing. Default false. */
  strict?: boolean;
  /**
   * Receives warnings: uneven spacing, missing slices, skipped files, other series left
   * unread. Default `console.warn`.
   */
  onWarning?: (message: string) => void;
  /**
   * How far (relative to the median step) a slice step may stray before it counts as
   * uneven. Default 0.05: scanners round positions, so steps of one
   * series often differ by 1–2 %, while a missing slice doubles a step.
   */
  spacingTolerance?: number;
}

/** Options for {@link listDicomSeries}. */
export interface ListDicomSeriesOptions {
  /** Receives a note about skipped (non-DICOM) files. Default `console.warn`. */
  onWarning?: (message: string) => void;
}

function noteSkipped(
  folder: string,
  skipped: { path: string; reason: string }[],
  warn: (message: string) => void,
): void {
  if (skipped.length === 0) return;
  const listed = skipped.slice(0, 5).map((file) => `${file.path} (${file.reason})`).join("; ");
  warn(
    `${folder}: skipped ${skipped.length} file(s) that are not DICOM images: ${listed}` +
      (skipped.length > 5 ? "; …" : ""),
  );
}

/**
 * Lists the DICOM series below a folder (searched recursively), largest first.
 *
 * @example
 * ```ts ignore
 * import { listDicomSeries } from "./mod.ts";
 * for (const series of await listDicomSeries("study/")) {
 *   console.log(series.seriesInstanceUid, series.seriesDescription, series.sliceCount);
 * }
 * ```
 */
export async function listDicomSeries(
  folder: string,
  options: ListDicomSeriesOptions = {},
): Promise<DicomSeriesSummary[]> {
  const scanned = await scanDicomFolder(folder);
  noteSkipped(folder, scanned.skipped, options.onWarning ?? console.warn);
  return scanned.series.map((series) => series.summary);
}

function chooseSeries(
  folder: string,
  series: ScannedSeries[],
  requested: string | undefined,
  warn: (message: string) => void,
): ScannedSeries {
  if (requested !== undefined) {
    const found = series.find((candidate) => candidate.summary.seriesInstanceUid === requested);
    if (!found) {
      throw new DicomSeriesNotFoundError(
        folder,
        requested,
        series.map((candidate) => describeSeries(candidate.summary)),
      );
    }
    return found;
  }
  const [chosen, ...others] = series;
  if (others.length > 0) {
    warn(
      `${folder}: holds ${series.length} series; reading the largest, ` +
        `${describeSeries(chosen.summary)}. Others: ` +
        `${others.map((other) => describeSeries(other.summary)).join("; ")}. ` +
        "Pass { seriesUid } to choose another",
    );
  }
  return chosen;
}

/** Throws unless every file agrees with the first on size, pixel type and orientation. */
function checkConsistent(folder: string, headers: DicomImageHeader[], slices: DicomSlice[]) {
  const first = headers[0];
  const fields = [
    "rows",
    "columns",
    "samplesPerPixel",
    "bitsAllocated",
    "pixelRepresentation",
    "pixelTag",
  ] as const;
  for (const header of headers) {
    for (const field of fields) {
      if (header.layout[field] !== first.layout[field]) {
        throw new InconsistentDicomSeriesError(
          folder,
          `the series mixes images with different ${field}: ${first.path} has ` +
            `${first.layout[field]}, ${header.path} has ${header.layout[field]}`,
          "the files do not form one volume; pass { seriesUid } or split the folder",
        );
      }
    }
  }
  const reference = slices[0].placement;
  for (const slice of slices) {
    const { orientation, pixelSpacing } = slice.placement;
    const orientationDiffers =
      (orientation === undefined) !== (reference.orientation === undefined) ||
      orientation?.some((value, n) => Math.abs(value - reference.orientation![n]) > 1e-3);
    const spacingDiffers = pixelSpacing?.some((value, n) =>
      Math.abs(value - reference.pixelSpacing![n]) > 1e-3 * value
    ) ?? reference.pixelSpacing !== undefined;
    if (orientationDiffers || spacingDiffers) {
      const what = orientationDiffers
        ? `ImageOrientationPatient [${reference.orientation}] vs [${orientation}]`
        : `PixelSpacing [${reference.pixelSpacing}] vs [${pixelSpacing}]`;
      throw new InconsistentDicomSeriesError(
        folder,
        `the series mixes slices with different ${what} (${slices[0].header.path}, ` +
          `${slice.header.path})`,
        "it may hold a localizer or several stacks; split it or pass { seriesUid }",
      );
    }
  }
}

/** Whether the rescale is the identity for every slice. */
function isIdentityRescale(slices: DicomSlice[]): boolean {
  return slices.every((s) => s.placement.rescaleSlope === 1 && s.placement.rescaleIntercept === 0);
}

/**
 * The output array: the stored type when no slice rescales; an integer type wide enough when
 * every slope is 1 and every intercept an integer (CT's −1024); else float32.
 */
function allocateOutput(stored: VoxelArray, slices: DicomSlice[], length: number): VoxelArray {
  if (isIdentityRescale(slices)) {
    return new (stored.constructor as new (n: number) => VoxelArray)(length);
  }
  if (
    slices.every((s) =>
      s.placement.rescaleSlope === 1 && Number.isInteger(s.placement.rescaleIntercept)
    )
  ) {
    const isFloat = stored instanceof Float32Array || stored instanceof Float64Array;
    const bits = stored.BYTES_PER_ELEMENT * 8;
    const signed = !(stored instanceof Uint8Array || stored instanceof Uint16Array ||
      stored instanceof Uint32Array);
    const intercepts = slices.map((s) => s.placement.rescaleIntercept);
    const low = (signed ? -(2 ** (bits - 1)) : 0) + Math.min(...intercepts);
    const high = (signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1) + Math.max(...intercepts);
    if (!isFloat && low >= -32768 && high <= 32767) return new Int16Array(length);
    if (!isFloat && low >= -(2 ** 31) && high < 2 ** 31) return new Int32Array(length);
  }
  return new Float32Array(length);
}

/**
 * Reads one DICOM series from a folder (searched recursively) into a {@link Volume} with a
 * RAS+ affine. Slices are sorted along the slice normal; RescaleSlope/Intercept are applied
 * (float32 output unless they keep values integral); uneven spacing or missing slices are
 * reported through `onWarning`, or thrown as {@link InconsistentDicomSeriesError} when
 * `strict`. Non-DICOM files are skipped with a warning. When the folder holds several
 * series, the largest is read unless `seriesUid` says otherwise.
 *
 * @example
 * ```ts ignore
 * import { readDicomSeries } from "./mod.ts";
 * const ct = await readDicomSeries("patient_7/CT", { strict: true });
 * console.log(ct.dims, ct.meta.seriesInstanceUid);
 * ```
 */
export async function readDicomSeries(
  folder: string,
  options: ReadDicomSeriesOptions = {},
): Promise<Volume> {
  const warn = options.onWarning ?? console.warn;
  const scanned = await scanDicomFolder(folder);
  if (scanned.series.length === 0) {
    const firstUnusable = scanned.orphans[0];
    if (firstUnusable) throw firstUnusable.error;
    throw new NoDicomImagesError(
      folder,
      scanned.skipped.map((file) => `${file.path}: ${file.reason}`),
    );
  }
  noteSkipped(folder, scanned.skipped, warn);
  const chosen = chooseSeries(folder, scanned.series, options.seriesUid, warn);
  if (chosen.unusable.length > 0) throw chosen.unusable[0].error;
  if (scanned.orphans.length > 0) {
    warn(
      `${folder}: ignored ${scanned.orphans.length} unreadable DICOM image(s): ` +
        scanned.orphans.map((file) => `${file.path} (${file.reason})`).join("; "),
    );
  }
  const slices: DicomSlice[] = chosen.headers.flatMap((header) =>
    header.frames.map((placement, frame) => ({ header, frame, placement }))
  );
  checkConsistent(folder, chosen.headers, slices);
  const geometry = seriesGeometry(folder, slices, options.spacingTolerance ?? 0.05);
  if (geometry.problems.length > 0) {
    const count = geometry.problems.length;
    const problem = geometry.problems.slice(0, 3).join("; ") +
      (count > 3 ? `; and ${count - 3} more` : "");
    if (options.strict) {
      throw new InconsistentDicomSeriesError(
        folder,
        problem,
        "pass { strict: false } to read it anyway (the affine then assumes even spacing)",
      );
    }
    warn(`${folder}: ${problem}; the affine assumes even spacing`);
  }
  const data = await assembleVoxels(geometry.slices, chosen.headers[0]);
  applyNonFinitePolicy(folder, data, options.nonFinite);
  const first = chosen.headers[0];
  return {
    data,
    dims: [first.layout.columns, first.layout.rows, geometry.slices.length],
    channels: first.layout.samplesPerPixel,
    affine: geometry.affine,
    meta: {
      format: "dicom",
      seriesInstanceUid: chosen.summary.seriesInstanceUid,
      seriesNumber: chosen.summary.seriesNumber,
      seriesDescription: chosen.summary.seriesDescription,
      modality: chosen.summary.modality,
      transferSyntaxUid: first.syntax.uid,
      photometricInterpretation: first.layout.photometricInterpretation,
      rescaled: !isIdentityRescale(slices),
      files: chosen.summary.files.length,
    },
  };
}

/** Decodes every slice, rescales it, and places it at its k in a channel-major array. */
async function assembleVoxels(slices: DicomSlice[], first: DicomImageHeader): Promise<VoxelArray> {
  const sliceVoxels = first.layout.rows * first.layout.columns;
  const channels = first.layout.samplesPerPixel;
  const depth = slices.length;
  const byFile = new Map<string, number[]>();
  slices.forEach((slice, k) => {
    const ks = byFile.get(slice.header.path) ?? [];
    ks.push(k);
    byFile.set(slice.header.path, ks);
  });
  let out: VoxelArray | undefined;
  for (const [path, ks] of byFile) {
    // Files are read a second time here so that a folder scan never holds every file.
    const parsed = parseDicomFile(path, await Deno.readFile(path));
    if (!("header" in parsed)) {
      throw new InconsistentDicomSeriesError(path, "changed while the series was being read");
    }
    for (const k of ks) {
      const slice = slices[k];
      const pixels = await decodeFramePixels(parsed.header, parsed.dataSet, slice.frame);
      out ??= allocateOutput(pixels, slices, sliceVoxels * channels * depth);
      const { rescaleSlope: slope, rescaleIntercept: intercept } = slice.placement;
      for (let channel = 0; channel < channels; channel++) {
        const to = (channel * depth + k) * sliceVoxels;
        const from = channel * sliceVoxels;
        if (slope === 1 && intercept === 0) {
          out.set(pixels.subarray(from, from + sliceVoxels), to);
        } else {
          for (let n = 0; n < sliceVoxels; n++) out[to + n] = pixels[from + n] * slope + intercept;
        }
      }
    }
  }
  return out!;
}
