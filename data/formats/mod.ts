/**
 * Reading and writing volumes in any supported medical format, chosen by file extension:
 * NIfTI (`.nii`, `.nii.gz`), MetaImage (`.mha`, `.mhd`) and NRRD (`.nrrd`, `.nhdr`).
 *
 * @example
 * ```ts ignore
 * import { readVolume, writeVolume } from "./mod.ts";
 * const volume = await readVolume("case_001.nii.gz");
 * await writeVolume("case_001.mha", volume);
 * ```
 *
 * @module
 */

import { UnsupportedVolumeFormatError, VolumeFormatError } from "../errors.ts";
import type { Volume } from "../volume.ts";
import { readDicomSeries } from "./dicom/mod.ts";
import { readMetaImage, writeMetaImage } from "./metaimage.ts";
import { readNifti, writeNifti } from "./nifti.ts";
import { readNrrd, writeNrrd } from "./nrrd.ts";
import type { ReadVolumeOptions } from "./voxel_codec.ts";

export { decodeNifti, encodeNifti, readNifti, writeNifti } from "./nifti.ts";
export type { NiftiAffineSource, NiftiWriteOptions } from "./nifti.ts";
export type { NiftiHeader } from "./nifti_header.ts";
export { readMetaImage, writeMetaImage } from "./metaimage.ts";
export type { MetaImageWriteOptions } from "./metaimage.ts";
export { readNrrd, writeNrrd } from "./nrrd.ts";
export type { NrrdWriteOptions } from "./nrrd.ts";
export type { NonFinitePolicy, ReadVolumeOptions } from "./voxel_codec.ts";

/** File formats mipcandy reads and writes. */
export type VolumeFileFormat = "nifti" | "metaimage" | "nrrd";

/** Extensions recognised by {@link readVolume} and {@link writeVolume}, longest first. */
export const SUPPORTED_EXTENSIONS: readonly string[] = [
  ".nii.gz",
  ".nii",
  ".mha",
  ".mhd",
  ".nrrd",
  ".nhdr",
];

const FORMAT_OF_EXTENSION: Record<string, VolumeFileFormat> = {
  ".nii.gz": "nifti",
  ".nii": "nifti",
  ".mha": "metaimage",
  ".mhd": "metaimage",
  ".nrrd": "nrrd",
  ".nhdr": "nrrd",
};

/** Options for {@link writeVolume}. */
export interface WriteVolumeOptions {
  /**
   * Compress the voxels of MetaImage (zlib; default off, as in ITK) and NRRD (gzip; default
   * on). NIfTI follows the extension: `.nii.gz` is compressed, `.nii` is not.
   */
  compress?: boolean;
}

/**
 * The format a path's extension names (case-insensitive); throws
 * {@link UnsupportedVolumeFormatError} listing the supported extensions otherwise.
 */
export function volumeFormatOf(path: string): VolumeFileFormat {
  const lower = path.toLowerCase();
  const extension = SUPPORTED_EXTENSIONS.find((candidate) => lower.endsWith(candidate));
  if (!extension) {
    throw new UnsupportedVolumeFormatError(
      path,
      "unknown volume file extension",
      `supported: ${SUPPORTED_EXTENSIONS.join(", ")}, or a DICOM series folder`,
    );
  }
  return FORMAT_OF_EXTENSION[extension];
}

/**
 * Reads a volume from a file, choosing the format by extension. A folder is read as a DICOM
 * series. Problems with the file's content raise {@link VolumeFormatError} (or one of its
 * subclasses) naming the file; a missing file raises `Deno.errors.NotFound`.
 *
 * @example
 * ```ts ignore
 * import { readVolume } from "./mod.ts";
 * const volume = await readVolume("ct.nrrd", { nonFinite: "zero" });
 * console.log(volume.dims, volume.channels);
 * ```
 */
export async function readVolume(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  if ((await Deno.stat(path)).isDirectory) {
    // ---- DICOM series folders ------------------------------------------------------------
    return await readDicomSeries(path, options);
  }
  const format = volumeFormatOf(path);
  try {
    switch (format) {
      case "nifti":
        return await readNifti(path, options);
      case "metaimage":
        return await readMetaImage(path, options);
      case "nrrd":
        return await readNrrd(path, options);
    }
  } catch (error) {
    // The readers validate what they read; this net turns anything they missed into an error
    // that still names the file, instead of a bare RangeError from deep inside.
    if (error instanceof RangeError || error instanceof TypeError) {
      throw new VolumeFormatError(
        path,
        `could not be read as ${format} (${error.message})`,
        "the file is probably corrupt",
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Writes a volume, choosing the format by extension. Writes are atomic: an interrupted or
 * rejected write leaves any previous file in place.
 *
 * @example
 * ```ts ignore
 * import { writeVolume } from "./mod.ts";
 * await writeVolume("prediction.nii.gz", volume);
 * ```
 */
export async function writeVolume(
  path: string,
  volume: Volume,
  options: WriteVolumeOptions = {},
): Promise<void> {
  switch (volumeFormatOf(path)) {
    case "nifti":
      return await writeNifti(path, volume);
    case "metaimage":
      return await writeMetaImage(path, volume, { compress: options.compress ?? false });
    case "nrrd":
      return await writeNrrd(path, volume, {
        encoding: options.compress ?? true ? "gzip" : "raw",
      });
  }
}

export {
  DicomSeriesNotFoundError,
  InconsistentDicomSeriesError,
  listDicomSeries,
  NoDicomImagesError,
  readDicomSeries,
  UnsupportedTransferSyntaxError,
} from "./dicom/mod.ts";
export type {
  DicomSeriesSummary,
  ListDicomSeriesOptions,
  ReadDicomSeriesOptions,
} from "./dicom/mod.ts";
