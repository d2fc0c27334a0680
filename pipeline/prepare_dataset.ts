/**
 * Dataset preparation shared by preprocessing, training, validation and prediction: open
 * the dataset, fingerprint it, settle the preprocessing plan, preprocess every case into an
 * on-disk cache, and load or create the cross-validation split. All results live in one
 * work folder, so a second run (another fold, a resumed run) starts at once.
 *
 * The plan is decided once: `deno task preprocess` writes `plan.json` from its options, and
 * every later preparation of the same work folder (training, planning) reuses that file, so
 * a non-default target spacing or normalisation chosen there is what training uses. A
 * `plan.json` or `fingerprint.json` that does not fit the dataset is refused with a
 * {@link DatasetLayoutError} naming the file, never silently replaced.
 *
 * @module
 */

import {
  type Dataset,
  DatasetLayoutError,
  openFolderDataset,
  openMsdDataset,
} from "../data/datasets/mod.ts";
import {
  type DatasetFingerprint,
  fingerprintDataset,
  loadFingerprint,
  saveFingerprint,
} from "../data/inspection/mod.ts";
import {
  planFromFingerprint,
  type PlanOptions,
  preprocessDatasetCached,
  type PreprocessedDataset,
  type PreprocessingPlan,
} from "../data/preprocessing/mod.ts";
import { type FoldSplit, loadOrCreateSplits } from "../data/splits/mod.ts";
import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";

/** Everything known about a prepared dataset. */
export interface PreparedDataset {
  /** The source dataset. */
  dataset: Dataset;
  /** Its fingerprint (spacing, shapes, intensities, labels). */
  fingerprint: DatasetFingerprint;
  /** How cases are preprocessed. */
  plan: PreprocessingPlan;
  /** The preprocessed cases (cached on disk). */
  preprocessed: PreprocessedDataset;
  /** Cross-validation folds over the case ids. */
  splits: FoldSplit[];
  /** Classes including background (max label + 1). */
  classes: number;
  /** Image channels. */
  channels: number;
}

/** Settings of {@link prepareDataset}. */
export interface PrepareDatasetOptions {
  /** Cross-validation folds when `splits.json` is created (default 5). */
  folds?: number;
  /** Split seed when `splits.json` is created (default 12345). */
  seed?: number;
  /**
   * Plan choices. When given, the plan is derived from the fingerprint with them and
   * written to `plan.json`, replacing any plan there (this is what `deno task preprocess`
   * does). When absent, an existing `plan.json` is checked against the dataset and reused;
   * only when there is none is the default plan derived and written.
   */
  plan?: Omit<PlanOptions, "channelNames">;
  /** Called after each case is preprocessed (not for cache hits). */
  onCase?: (id: string, done: number, total: number) => void;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * The work folder of dataset `data` under the results root `output`: `output/<name>`, where
 * `<name>` is the dataset folder's name. Training, planning and `preprocess --out` all
 * prepare a dataset there, so they share one plan and one preprocessed cache.
 *
 * @example
 * ```ts
 * import { preparedWorkDir } from "./prepare_dataset.ts";
 * console.assert(preparedWorkDir("data/Task04_Hippocampus/", "runs/") === "runs/Task04_Hippocampus");
 * ```
 */
export function preparedWorkDir(data: string, output: string): string {
  const name = data.replace(/\/+$/, "").split("/").pop() || "dataset";
  return `${output.replace(/\/+$/, "")}/${name}`;
}

/**
 * Opens a dataset folder: the MSD / nnU-Net layout when it has `dataset.json`, otherwise
 * `images/` and `labels/` folders of files matched by name.
 *
 * @throws {DatasetLayoutError} When `root` does not exist or holds neither layout.
 */
export async function openDataset(root: string): Promise<Dataset> {
  const info = await Deno.stat(root).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new DatasetLayoutError(root, "does not exist", "check the dataset path");
    }
    throw error;
  });
  if (!info.isDirectory) {
    throw new DatasetLayoutError(root, "is not a folder", "give the dataset's root folder");
  }
  if (await exists(`${root}/dataset.json`)) return await openMsdDataset(root);
  if (!(await exists(`${root}/images`))) {
    throw new DatasetLayoutError(
      root,
      "holds neither dataset.json (MSD / nnU-Net layout) nor an images/ folder",
      "is this a dataset root?",
    );
  }
  return await openFolderDataset({ images: `${root}/images`, labels: `${root}/labels` });
}

function channelCount(fingerprint: DatasetFingerprint): number {
  return fingerprint.cases[0]?.channels ?? fingerprint.foregroundIntensity.length;
}

/** Refuses a saved fingerprint that describes other cases or channels than `dataset` has. */
function checkFingerprint(path: string, fingerprint: DatasetFingerprint, dataset: Dataset): void {
  const advice = "delete it (and plan.json, preprocessed/) to fingerprint the dataset again";
  const ids = dataset.cases().map((ref) => ref.id);
  const recorded = new Set(fingerprint.cases.map((c) => c.id));
  const missing = ids.find((id) => !recorded.has(id));
  const wanted = new Set(ids);
  const extra = fingerprint.cases.find((c) => !wanted.has(c.id))?.id;
  if (missing !== undefined || extra !== undefined) {
    throw new DatasetLayoutError(
      path,
      `describes ${fingerprint.cases.length} case(s) but the dataset has ${ids.length} (` +
        (missing !== undefined ? `case "${missing}" is not in it` : `no case "${extra}"`) +
        "); it was made for another version of the dataset",
      advice,
    );
  }
  const declared = dataset.channelNames?.length;
  const channels = channelCount(fingerprint);
  if (declared !== undefined && declared !== channels) {
    throw new DatasetLayoutError(
      path,
      `records ${channels} image channel(s) but the dataset declares ${declared}`,
      advice,
    );
  }
}

const IMAGE_INTERPOLATIONS = ["nearest", "linear", "cubic"];
const LABEL_INTERPOLATIONS = ["nearest", "linear-argmax"];
const NORMALIZATIONS = ["zscore", "ct", "rescale", "none"];

/** What is wrong with a parsed `plan.json` for a dataset with `channels` channels, if anything. */
function planProblem(value: unknown, channels: number): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "is not a JSON object";
  }
  const plan = value as Record<string, unknown>;
  if (plan.version !== 1) return `has version ${JSON.stringify(plan.version)}, expected 1`;
  if (typeof plan.cropToNonzero !== "boolean") return '"cropToNonzero" must be true or false';
  const spacing = plan.targetSpacing;
  if (
    spacing !== null &&
    !(Array.isArray(spacing) && spacing.length === 3 &&
      spacing.every((s) => typeof s === "number" && Number.isFinite(s) && s > 0))
  ) {
    return '"targetSpacing" must be null or three positive numbers';
  }
  if (!IMAGE_INTERPOLATIONS.includes(plan.imageInterpolation as string)) {
    return `"imageInterpolation" must be one of ${IMAGE_INTERPOLATIONS.join(", ")}`;
  }
  if (!LABEL_INTERPOLATIONS.includes(plan.labelInterpolation as string)) {
    return `"labelInterpolation" must be one of ${LABEL_INTERPOLATIONS.join(", ")}`;
  }
  const normalization = plan.normalization;
  if (!Array.isArray(normalization) || normalization.length === 0) {
    return '"normalization" must be a non-empty list';
  }
  const bad = normalization.findIndex((scheme) =>
    !NORMALIZATIONS.includes((scheme as { kind?: unknown } | null)?.kind as string)
  );
  if (bad >= 0) return `normalization ${bad} has no known "kind" (${NORMALIZATIONS.join(", ")})`;
  for (const [n, scheme] of (normalization as Record<string, unknown>[]).entries()) {
    if (scheme.kind !== "ct") continue;
    const fields = ["mean", "std", "lower", "upper"];
    if (!fields.every((f) => Number.isFinite(scheme[f]))) {
      return `normalization ${n} ("ct") needs finite ${fields.join(", ")}`;
    }
  }
  if (normalization.length !== 1 && normalization.length !== channels) {
    return `normalises ${normalization.length} channel(s) but the dataset has ${channels}`;
  }
  return undefined;
}

/**
 * Reads a `plan.json` and checks it against a dataset with `channels` image channels.
 *
 * @throws {DatasetLayoutError} When the file is not valid JSON, not a version-1 plan, or
 *   normalises another number of channels than the dataset has.
 *
 * @example
 * ```ts ignore
 * const plan = await readPlanFile("runs/Task04_Hippocampus/plan.json", 1);
 * console.log(plan.targetSpacing);
 * ```
 */
export async function readPlanFile(path: string, channels: number): Promise<PreprocessingPlan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new DatasetLayoutError(path, `is not valid JSON (${error.message})`, "", {
      cause: error,
    });
  }
  const problem = planProblem(parsed, channels);
  if (problem !== undefined) {
    throw new DatasetLayoutError(
      path,
      `${problem}; it does not fit this dataset`,
      "run `deno task preprocess` again to rewrite it, or delete it to use the default plan",
    );
  }
  return parsed as PreprocessingPlan;
}

/**
 * Prepares `root` into `workDir` (fingerprint.json, plan.json, preprocessed/, splits.json).
 * An existing fingerprint, plan and split in `workDir` are reused after checking them
 * against the dataset (see {@link PrepareDatasetOptions.plan} for when the plan is rewritten).
 *
 * @throws {DatasetLayoutError} When the dataset cannot be opened, or a saved
 *   `fingerprint.json`, `plan.json` or `splits.json` does not fit it.
 *
 * @example
 * ```ts ignore
 * const prepared = await prepareDataset("data/Task04_Hippocampus", "work/Task04");
 * console.log(prepared.preprocessed.ids.length, prepared.splits[0].val.length);
 * ```
 */
export async function prepareDataset(
  root: string,
  workDir: string,
  options: PrepareDatasetOptions = {},
): Promise<PreparedDataset> {
  const dataset = await openDataset(root);
  await Deno.mkdir(workDir, { recursive: true });
  const fingerprintPath = `${workDir}/fingerprint.json`;
  let fingerprint: DatasetFingerprint;
  if (await exists(fingerprintPath)) {
    fingerprint = await loadFingerprint(fingerprintPath);
    checkFingerprint(fingerprintPath, fingerprint, dataset);
  } else {
    fingerprint = await fingerprintDataset(dataset);
    await saveFingerprint(fingerprintPath, fingerprint);
  }
  const channels = dataset.channelNames?.length ?? channelCount(fingerprint);
  const planPath = `${workDir}/plan.json`;
  let plan: PreprocessingPlan;
  if (options.plan === undefined && await exists(planPath)) {
    plan = await readPlanFile(planPath, channels);
  } else {
    plan = planFromFingerprint(fingerprint, {
      ...options.plan,
      channelNames: dataset.channelNames,
    });
    await atomicWriteTextFile(planPath, JSON.stringify(plan, null, 1) + "\n");
  }
  const preprocessed = await preprocessDatasetCached(dataset, plan, `${workDir}/preprocessed`, {
    onCase: options.onCase,
  });
  const splits = await loadOrCreateSplits(
    `${workDir}/splits.json`,
    preprocessed.ids,
    options.folds ?? 5,
    options.seed,
  );
  const classes = Math.max(...fingerprint.labelValues, 1) + 1;
  return { dataset, fingerprint, plan, preprocessed, splits, classes, channels };
}
