/**
 * Evaluates a folder of predicted label maps against a folder of references, pairing files by
 * case id (file name without its image extension), and writes `metrics.json` and
 * `metrics.csv`.
 *
 * @module
 */

import { readVolume, SUPPORTED_EXTENSIONS } from "../data/formats/mod.ts";
import { type EvaluationCase, Evaluator, type EvaluatorOptions } from "./evaluator.ts";
import { writeEvaluationReport } from "./evaluator.ts";
import type { EvaluationReport } from "./summary.ts";

/**
 * Image file extensions recognised in the folders: those `readVolume` reads (`.nii.gz`,
 * `.nii`, `.mha`, `.mhd`, `.nrrd`, `.nhdr`), longest first so `.nii.gz` wins over `.nii`.
 */
export const LABEL_FILE_EXTENSIONS: readonly string[] = SUPPORTED_EXTENSIONS;

/** Some references have no prediction file; lists their case ids. */
export class MissingPredictionsError extends Error {
  /** Case ids with a reference but no prediction. */
  readonly caseIds: string[];

  /** Builds the error for the missing `caseIds` in `predictionDirectory`. */
  constructor(caseIds: string[], predictionDirectory: string) {
    const shown = caseIds.slice(0, 20).join(", ");
    const more = caseIds.length > 20 ? ` and ${caseIds.length - 20} more` : "";
    super(
      `${caseIds.length} reference case(s) have no prediction in "${predictionDirectory}": ` +
        `${shown}${more}. Predict them, or pass skipMissingPredictions to evaluate the rest.`,
    );
    this.name = "MissingPredictionsError";
    this.caseIds = caseIds;
  }
}

/** The case id of an image file name, or undefined when it has no recognised extension. */
export function caseIdOfFileName(fileName: string): string | undefined {
  const extension = LABEL_FILE_EXTENSIONS.find((ext) => fileName.toLowerCase().endsWith(ext));
  return extension === undefined ? undefined : fileName.slice(0, -extension.length);
}

/** Maps case id → file path for the image files directly inside `directory`. */
export async function listCaseFiles(directory: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(directory)) {
    if (!entry.isFile && !entry.isSymlink) continue;
    const caseId = caseIdOfFileName(entry.name);
    if (caseId === undefined) continue;
    const path = joinPath(directory, entry.name);
    const earlier = files.get(caseId);
    if (earlier !== undefined) {
      throw new RangeError(
        `Case "${caseId}" has two files in "${directory}": ${earlier} and ${path}; keep one`,
      );
    }
    files.set(caseId, path);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function joinPath(directory: string, name: string): string {
  return directory.endsWith("/") ? `${directory}${name}` : `${directory}/${name}`;
}

/** Settings of {@link evaluateFolders}. */
export interface FolderEvaluationOptions extends EvaluatorOptions {
  /** Where to write the JSON report. Default `metrics.json` in the prediction folder. */
  jsonPath?: string;
  /** Where to write the CSV table. Default: `jsonPath` with `.csv` for its extension. */
  csvPath?: string;
  /** Evaluate the cases that have predictions instead of failing on missing ones. */
  skipMissingPredictions?: boolean;
}

/** What {@link evaluateFolders} did. */
export interface FolderEvaluationResult {
  /** The metrics. */
  report: EvaluationReport;
  /** Where the JSON report was written. */
  jsonPath: string;
  /** Where the CSV table was written. */
  csvPath: string;
  /** Reference cases without a prediction (empty unless `skipMissingPredictions`). */
  missingPredictions: string[];
  /** Prediction files whose case has no reference; they are not evaluated. */
  predictionsWithoutReference: string[];
}

/** `path` with its `.json` extension (if any) replaced by `.csv`. */
export function csvPathBeside(jsonPath: string): string {
  return jsonPath.toLowerCase().endsWith(".json")
    ? `${jsonPath.slice(0, -".json".length)}.csv`
    : `${jsonPath}.csv`;
}

/**
 * Evaluates every reference in `referenceDirectory` against the prediction with the same case
 * id in `predictionDirectory`. Volumes are read one case at a time. Throws a
 * {@link MissingPredictionsError} listing every reference without a prediction (unless
 * `skipMissingPredictions`), and a `GridMismatchError` naming the case whose grids differ.
 *
 * @example
 * ```ts ignore
 * import { evaluateFolders } from "./evaluate_folders.ts";
 * const { report, jsonPath } = await evaluateFolders("predictions/", "labelsTs/", {
 *   labels: [1, 2],
 * });
 * console.log(report.foregroundMean.dice, "written to", jsonPath);
 * ```
 */
export async function evaluateFolders(
  predictionDirectory: string,
  referenceDirectory: string,
  options: FolderEvaluationOptions = {},
): Promise<FolderEvaluationResult> {
  const predictions = await listCaseFiles(predictionDirectory);
  const references = await listCaseFiles(referenceDirectory);
  if (references.size === 0) {
    throw new RangeError(
      `No label files (${LABEL_FILE_EXTENSIONS.join(", ")}) in "${referenceDirectory}"`,
    );
  }
  const missingPredictions = [...references.keys()].filter((caseId) => !predictions.has(caseId));
  if (missingPredictions.length > 0 && !options.skipMissingPredictions) {
    throw new MissingPredictionsError(missingPredictions, predictionDirectory);
  }
  const predictionsWithoutReference = [...predictions.keys()].filter((id) => !references.has(id));
  async function* readCases(): AsyncGenerator<EvaluationCase> {
    for (const [caseId, referencePath] of references) {
      const predictionPath = predictions.get(caseId);
      if (predictionPath === undefined) continue;
      const [prediction, reference] = await Promise.all([
        readVolume(predictionPath),
        readVolume(referencePath),
      ]);
      yield { caseId, prediction, reference };
    }
  }
  const report = await new Evaluator(options).evaluate(readCases());
  const jsonPath = options.jsonPath ?? joinPath(predictionDirectory, "metrics.json");
  const csvPath = options.csvPath ?? csvPathBeside(jsonPath);
  await writeEvaluationReport(report, jsonPath, csvPath);
  return { report, jsonPath, csvPath, missingPredictions, predictionsWithoutReference };
}
