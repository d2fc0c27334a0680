/**
 * DICOM series: a folder of DICOM files read into one {@link Volume} with a RAS+ affine.
 *
 * Files are parsed with `dicom-parser` and grouped by SeriesInstanceUID; slices are sorted
 * along the slice normal; RescaleSlope/Intercept are applied. Supported transfer syntaxes:
 * implicit and explicit VR little endian, explicit VR big endian, deflated explicit little
 * endian, RLE lossless, JPEG baseline (8-bit), JPEG lossless, JPEG-LS and JPEG 2000 (the
 * JPEG family through npm codecs loaded on first use). Enhanced multi-frame files are read
 * through their per-frame functional groups, RT Dose through its Grid Frame Offset Vector.
 *
 * @example
 * ```ts ignore
 * import { listDicomSeries, readDicomSeries } from "./mod.ts";
 * const series = await listDicomSeries("study/");
 * const volume = await readDicomSeries("study/", { seriesUid: series[0].seriesInstanceUid });
 * ```
 *
 * @module
 */

export { listDicomSeries, readDicomSeries } from "./read_series.ts";
export type { ListDicomSeriesOptions, ReadDicomSeriesOptions } from "./read_series.ts";
export type { DicomSeriesSummary } from "./series_scan.ts";
export {
  DicomSeriesNotFoundError,
  InconsistentDicomSeriesError,
  NoDicomImagesError,
  UnsupportedTransferSyntaxError,
} from "./errors.ts";
export { transferSyntaxOf } from "./transfer_syntax.ts";
export type { PixelEncoding, TransferSyntax } from "./transfer_syntax.ts";
