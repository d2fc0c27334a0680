/**
 * Typed errors raised while finding and loading the cases of a dataset. Each names the file
 * or case it is about and says what to do.
 *
 * @module
 */

/**
 * A dataset's layout is wrong: a missing folder, a malformed `dataset.json`, an entry that
 * points nowhere.
 *
 * @example
 * ```ts
 * import { DatasetLayoutError } from "./errors.ts";
 * const error = new DatasetLayoutError("data/dataset.json", "has no \"training\" list");
 * console.assert(error.message.startsWith("data/dataset.json"));
 * ```
 */
export class DatasetLayoutError extends Error {
  /** The file or folder the problem was found in. */
  readonly path: string;

  /** Builds the message `path: problem. hint`. */
  constructor(path: string, problem: string, hint = "", options?: ErrorOptions) {
    super(`${path}: ${problem}${hint ? `. ${hint}` : ""}`, options);
    this.name = "DatasetLayoutError";
    this.path = path;
  }
}

/** A file a case needs (an image channel or its label) does not exist. */
export class MissingCaseFileError extends DatasetLayoutError {
  /** The case the file belongs to. */
  readonly caseId: string;

  /** `what` says which file it is, e.g. `"label"` or `"image channel 1"`. */
  constructor(caseId: string, path: string, what: string) {
    super(path, `${what} of case "${caseId}" does not exist`, "check the dataset folder");
    this.name = "MissingCaseFileError";
    this.caseId = caseId;
  }
}

/** A case id that the dataset does not hold was asked for. */
export class UnknownCaseError extends Error {
  /** The id that was asked for. */
  readonly caseId: string;

  /** `known` is a few of the ids the dataset does hold, for the message. */
  constructor(caseId: string, known: readonly string[]) {
    const sample = known.slice(0, 5).map((id) => `"${id}"`).join(", ");
    super(
      `unknown case "${caseId}"; the dataset holds ${known.length} case(s)` +
        (known.length ? ` such as ${sample}` : ""),
    );
    this.name = "UnknownCaseError";
    this.caseId = caseId;
  }
}

/** Two volumes of one case (image and label, or two channels) lie on different voxel grids. */
export class GridMismatchError extends Error {
  /** The case whose volumes disagree. */
  readonly caseId: string;

  /**
   * `detail` says which volumes and what differs (dims, channels or affine); `advice` what
   * to do about it.
   */
  constructor(
    caseId: string,
    detail: string,
    advice = "resample one onto the other's grid before training",
  ) {
    super(`case "${caseId}": ${detail}; ${advice}`);
    this.name = "GridMismatchError";
    this.caseId = caseId;
  }
}
