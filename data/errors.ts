/**
 * Typed errors raised by the volume readers and writers. Every error names the file it is
 * about, says what is wrong with it and, where there is one, what the user can do about it.
 *
 * @module
 */

/**
 * A file could not be read as a volume: it is corrupt, truncated, or its header contradicts
 * its data.
 *
 * @example
 * ```ts
 * import { VolumeFormatError } from "./errors.ts";
 * const error = new VolumeFormatError("scan.nii", "bad magic \"abc\"", "is it a NIfTI file?");
 * console.assert(error.message.includes("scan.nii"));
 * ```
 */
export class VolumeFormatError extends Error {
  /** The file the problem was found in. */
  readonly path: string;
  /** What is wrong, without the path or the hint. */
  readonly problem: string;
  /** What the user can do about it; empty when there is nothing to suggest. */
  readonly hint: string;

  /** Builds the message `path: problem. hint`. */
  constructor(path: string, problem: string, hint = "", options?: ErrorOptions) {
    super(`${path}: ${problem}${hint ? `. ${hint}` : ""}`, options);
    this.name = "VolumeFormatError";
    this.path = path;
    this.problem = problem;
    this.hint = hint;
  }
}

/**
 * The file is well-formed but uses a feature (extension, datatype, encoding, layout) that
 * mipcandy cannot read or write.
 */
export class UnsupportedVolumeFormatError extends VolumeFormatError {
  /** See {@link VolumeFormatError}. */
  constructor(path: string, problem: string, hint = "", options?: ErrorOptions) {
    super(path, problem, hint, options);
    this.name = "UnsupportedVolumeFormatError";
  }
}

/** A volume holds NaN or infinite voxels and the reader was asked to refuse them. */
export class NonFiniteVoxelError extends VolumeFormatError {
  /** How many voxels are NaN or ±Infinity. */
  readonly count: number;

  /** `count` is the number of non-finite voxels found. */
  constructor(path: string, count: number) {
    super(
      path,
      `${count} voxel(s) are NaN or infinite`,
      'pass { nonFinite: "zero" } to replace them with 0, or { nonFinite: "keep" } to keep them',
    );
    this.name = "NonFiniteVoxelError";
    this.count = count;
  }
}

/** An in-memory `Volume` handed to a writer is inconsistent (wrong data length, bad affine). */
export class InvalidVolumeError extends Error {
  /** The file the volume was about to be written to. */
  readonly path: string;

  /** Builds the message `cannot write path: problem`. */
  constructor(path: string, problem: string) {
    super(`cannot write ${path}: ${problem}`);
    this.name = "InvalidVolumeError";
    this.path = path;
  }
}

/** An affine cannot be used for the requested geometry operation (singular, not finite). */
export class VolumeGeometryError extends Error {
  /** See `Error`. */
  constructor(message: string) {
    super(message);
    this.name = "VolumeGeometryError";
  }
}
