/**
 * Prepares an MSD / nnU-Net dataset for training:
 * `deno task preprocess DATASET_ROOT OUTPUT_DIR`. Writes into OUTPUT_DIR the fingerprint
 * (`fingerprint.json`, reused when present), the plan (`plan.json`), the preprocessed cases
 * (`preprocessed/`, cached: a second run only checks them) and the cross-validation split
 * (`splits.json`, reused when present).
 *
 * @module
 */

import { finiteNumber, parseCommandLine, positiveInteger } from "./cli.ts";
import { openMsdDataset } from "../data/datasets/mod.ts";
import type { Vec3 } from "../data/geometry.ts";
import {
  type DatasetFingerprint,
  fingerprintDataset,
  loadFingerprint,
  saveFingerprint,
} from "../data/inspection/mod.ts";
import {
  type IntensityKind,
  planFromFingerprint,
  preprocessDatasetCached,
} from "../data/preprocessing/mod.ts";
import { loadOrCreateSplits } from "../data/splits/mod.ts";
import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";

const USAGE = `Fingerprint, plan, preprocess (cached) and split an MSD / nnU-Net dataset.

Usage: deno task preprocess [options] DATASET_ROOT OUTPUT_DIR

Options:
  --spacing X,Y,Z     target voxel size in mm (default: the median spacing)
  --intensity KIND    zscore, ct, rescale or none for every channel (default: ct for channels
                      named CT, zscore otherwise)
  --cubic             cubic image interpolation (default linear)
  --folds N           cross-validation folds (default 5)
  --seed N            split seed (default 12345)
  -h, --help          show this help
`;

const KINDS: IntensityKind[] = ["zscore", "ct", "rescale", "none"];

/**
 * Runs the preprocessing CLI; returns the process exit code.
 *
 * @example
 * ```ts ignore
 * import { preprocessMain } from "./preprocess.ts";
 * Deno.exit(await preprocessMain(["/data/Task04_Hippocampus", "work/Task04"]));
 * ```
 */
export async function preprocessMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      spacing: { type: "string" },
      intensity: { type: "string" },
      cubic: { type: "boolean" },
      folds: { type: "string", default: "5" },
      seed: { type: "string", default: "12345" },
    },
    USAGE,
    { positionals: 2 },
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [root, output] = positionals;
  const spacing = values.spacing?.split(",").map(Number);
  if (spacing && (spacing.length !== 3 || spacing.some((s) => !(s > 0)))) {
    console.error(`--spacing needs three positive numbers, got "${values.spacing}"`);
    return 2;
  }
  const intensity = values.intensity as IntensityKind | undefined;
  if (intensity && !KINDS.includes(intensity)) {
    console.error(`--intensity must be one of ${KINDS.join(", ")}`);
    return 2;
  }
  let folds = 5;
  let seed = 12345;
  try {
    folds = positiveInteger("folds", values.folds) ?? folds;
    seed = finiteNumber("seed", values.seed) ?? seed;
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  await Deno.mkdir(output, { recursive: true });
  const started = performance.now();
  const dataset = await openMsdDataset(root);
  const fingerprintPath = `${output}/fingerprint.json`;
  let fingerprint: DatasetFingerprint;
  try {
    fingerprint = await loadFingerprint(fingerprintPath);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    fingerprint = await fingerprintDataset(dataset);
    await saveFingerprint(fingerprintPath, fingerprint);
  }
  const plan = planFromFingerprint(fingerprint, {
    channelNames: dataset.channelNames,
    intensity,
    targetSpacing: spacing as Vec3 | undefined,
    imageInterpolation: values.cubic ? "cubic" : "linear",
  });
  await atomicWriteTextFile(`${output}/plan.json`, JSON.stringify(plan, null, 1) + "\n");
  const cached = await preprocessDatasetCached(dataset, plan, `${output}/preprocessed`);
  const splits = await loadOrCreateSplits(
    `${output}/splits.json`,
    cached.ids,
    folds,
    seed,
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${cached.ids.length} cases (${cached.stats.misses} preprocessed, ${cached.stats.hits} ` +
      `cached), ${splits.length} folds, ${seconds.toFixed(1)} s → ${output}`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await preprocessMain(Deno.args));
