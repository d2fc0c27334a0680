/**
 * Dataset preparation shared by training, validation and prediction: open the dataset,
 * fingerprint it, derive the preprocessing plan, preprocess every case into an on-disk
 * cache, and load or create the cross-validation split. All results live in one work
 * folder, so a second run (another fold, a resumed run) starts at once.
 *
 * @module
 */

import { type Dataset, openFolderDataset, openMsdDataset } from "../data/datasets/mod.ts";
import {
  type DatasetFingerprint,
  fingerprintDataset,
  loadFingerprint,
  saveFingerprint,
} from "../data/inspection/mod.ts";
import {
  planFromFingerprint,
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

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Opens a dataset folder: the MSD / nnU-Net layout when it has `dataset.json`, otherwise
 * `images/` and `labels/` folders of files matched by name.
 */
export async function openDataset(root: string): Promise<Dataset> {
  if (await exists(`${root}/dataset.json`)) return await openMsdDataset(root);
  return await openFolderDataset({ images: `${root}/images`, labels: `${root}/labels` });
}

/**
 * Prepares `root` into `workDir` (fingerprint.json, plan.json, preprocessed/, splits.json).
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
  options: { folds?: number; onCase?: (id: string, done: number, total: number) => void } = {},
): Promise<PreparedDataset> {
  await Deno.mkdir(workDir, { recursive: true });
  const dataset = await openDataset(root);
  const fingerprintPath = `${workDir}/fingerprint.json`;
  let fingerprint: DatasetFingerprint;
  if (await exists(fingerprintPath)) fingerprint = await loadFingerprint(fingerprintPath);
  else {
    fingerprint = await fingerprintDataset(dataset);
    await saveFingerprint(fingerprintPath, fingerprint);
  }
  const plan = planFromFingerprint(fingerprint, { channelNames: dataset.channelNames });
  await atomicWriteTextFile(`${workDir}/plan.json`, JSON.stringify(plan, null, 1) + "\n");
  const preprocessed = await preprocessDatasetCached(dataset, plan, `${workDir}/preprocessed`, {
    onCase: options.onCase,
  });
  const splits = await loadOrCreateSplits(
    `${workDir}/splits.json`,
    preprocessed.ids,
    options.folds ?? 5,
  );
  const classes = Math.max(...fingerprint.labelValues, 1) + 1;
  const channels = dataset.channelNames?.length ?? fingerprint.foregroundIntensity.length;
  return { dataset, fingerprint, plan, preprocessed, splits, classes, channels };
}
