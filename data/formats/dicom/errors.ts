/**
 * Typed errors of the DICOM series reader. Each names the file or folder it is about and
 * says what is wrong; they extend the volume errors so `catch (e instanceof VolumeFormatError)`
 * keeps working for callers of `readVolume`.
 *
 * @module
 */

import { UnsupportedVolumeFormatError, VolumeFormatError } from "../../errors.ts";

/** A folder holds no readable DICOM image (it is empty, or every file was skipped). */
export class NoDicomImagesError extends VolumeFormatError {
  /** Files that were skipped, each with the reason. */
  readonly skipped: readonly string[];

  /** `skipped` lists `path: reason` for every file that was not a usable DICOM image. */
  constructor(folder: string, skipped: readonly string[]) {
    const problem = skipped.length === 0
      ? "holds no files"
      : `holds no readable DICOM image (${skipped.length} file(s) skipped: ${
        skipped.slice(0, 3).join("; ")
      }${skipped.length > 3 ? "; …" : ""})`;
    super(folder, problem, "point at the folder of one DICOM series");
    this.name = "NoDicomImagesError";
    this.skipped = skipped;
  }
}

/** A requested series UID is not in the folder. */
export class DicomSeriesNotFoundError extends VolumeFormatError {
  /** Series UIDs that the folder does hold. */
  readonly available: readonly string[];

  /** `available` describes each series found, for the message. */
  constructor(folder: string, requested: string, available: readonly string[]) {
    super(
      folder,
      `holds no series with SeriesInstanceUID ${requested}`,
      `series found: ${available.join("; ")}`,
    );
    this.name = "DicomSeriesNotFoundError";
    this.available = available;
  }
}

/**
 * The slices of one series disagree (different sizes, orientations, pixel types, duplicate
 * positions), or their spacing is uneven and the reader was asked to be strict.
 */
export class InconsistentDicomSeriesError extends VolumeFormatError {
  /** See {@link VolumeFormatError}. */
  constructor(path: string, problem: string, hint = "", options?: ErrorOptions) {
    super(path, problem, hint, options);
    this.name = "InconsistentDicomSeriesError";
  }
}

/** A DICOM file uses a transfer syntax (compression) that this reader cannot decode. */
export class UnsupportedTransferSyntaxError extends UnsupportedVolumeFormatError {
  /** The transfer syntax UID, such as `1.2.840.10008.1.2.4.100`. */
  readonly transferSyntaxUid: string;

  /** `name` is the transfer syntax's human-readable name, or "unknown". */
  constructor(
    path: string,
    transferSyntaxUid: string,
    name: string,
    reason = "",
    options?: ErrorOptions,
  ) {
    super(
      path,
      `transfer syntax ${transferSyntaxUid} (${name}) cannot be decoded${
        reason ? `: ${reason}` : ""
      }`,
      "convert the series to an uncompressed transfer syntax first (for example " +
        "`gdcmconv --raw` or `dcmdjpeg`), or to NIfTI with dcm2niix",
      options,
    );
    this.name = "UnsupportedTransferSyntaxError";
    this.transferSyntaxUid = transferSyntaxUid;
  }
}
