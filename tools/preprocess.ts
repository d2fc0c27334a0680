/**
 * `deno task preprocess --data DIR [--out DIR] [options]`: fingerprints, plans,
 * preprocesses (cached) and splits a dataset into the work folder `OUT/<dataset name>` —
 * the folder `deno task train` and `deno task plan` prepare the same dataset in, so the plan
 * chosen here (`--spacing`, `--intensity`, `--cubic`) is the plan training uses. Writes the
 * fingerprint (`fingerprint.json`, reused when present), the plan (`plan.json`, rewritten
 * from the options), the preprocessed cases (`preprocessed/`, cached: a second run only
 * checks them) and the cross-validation split (`splits.json`, reused when present).
 *
 * The older form `deno task preprocess [options] DATASET_ROOT OUTPUT_DIR` still works and
 * writes into OUTPUT_DIR itself.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { finiteNumber, numberList, parseCommandLine, positiveInteger } from "./cli.ts";
import {
  DatasetLayoutError,
  GridMismatchError,
  UnknownCaseError,
} from "../data/datasets/errors.ts";
import { InvalidVolumeError, VolumeFormatError, VolumeGeometryError } from "../data/errors.ts";
import type { Vec3 } from "../data/geometry.ts";
import type { IntensityKind } from "../data/preprocessing/plan.ts";
import { NormalizationError } from "../data/preprocessing/normalization.ts";
import { ResampleError } from "../data/preprocessing/resample.ts";
import { SplitError } from "../data/splits/mod.ts";
import { prepareDataset, preparedWorkDir } from "../pipeline/prepare_dataset.ts";

const USAGE = `Fingerprint, plan, preprocess (cached) and split a dataset for training.

Usage: deno task preprocess --data DIR [--out DIR] [options]
       deno task preprocess [options] DATASET_ROOT OUTPUT_DIR   (older form)

  --data DIR          dataset folder (MSD/nnU-Net layout with dataset.json, or images/ + labels/)
  --out DIR           results root (default runs); writes into OUT/<dataset folder name>, the
                      folder \`deno task train\` and \`deno task plan\` use with the same --out,
                      so training uses the plan chosen here. The older form writes into
                      OUTPUT_DIR itself.
  --spacing X,Y,Z     target voxel size in mm along i, j, k (default: the median spacing)
  --intensity KIND    zscore, ct, rescale or none for every channel (default: ct for channels
                      named CT, zscore otherwise)
  --cubic             cubic image interpolation (default linear)
  --folds N           cross-validation folds when splits.json is created (default 5)
  --seed N            split seed when splits.json is created (default 12345)
  -h, --help          show this help

Each run rewrites plan.json from these options; preprocessed cases are redone only when the
plan or a source file changed. An existing fingerprint.json or splits.json that does not
fit the dataset is reported, not replaced.
`;

const OPTIONS = {
  data: { type: "string" },
  out: { type: "string" },
  spacing: { type: "string" },
  intensity: { type: "string" },
  cubic: { type: "boolean" },
  folds: { type: "string", default: "5" },
  seed: { type: "string", default: "12345" },
} as const;

const KINDS: IntensityKind[] = ["zscore", "ct", "rescale", "none"];

/** Errors about the user's data or files, reported as one line with exit code 1. */
const DATA_ERRORS = [
  DatasetLayoutError,
  UnknownCaseError,
  GridMismatchError,
  VolumeFormatError,
  InvalidVolumeError,
  VolumeGeometryError,
  ResampleError,
  NormalizationError,
  SplitError,
  Deno.errors.NotFound,
  Deno.errors.PermissionDenied,
];

/** How many positional arguments `args` holds, or undefined when it does not parse. */
function countPositionals(args: string[]): number | undefined {
  try {
    const parsed = parseArgs({
      args,
      options: { ...OPTIONS, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: false,
    });
    return parsed.positionals.length;
  } catch {
    // parseCommandLine reports it
    return undefined;
  }
}

/**
 * Runs the preprocessing CLI; returns the process exit code: 0 on success, 1 when the
 * dataset or a file in the work folder is wrong (one `preprocess: …` line on stderr), 2 for
 * a usage error.
 *
 * @example
 * ```ts ignore
 * import { preprocessMain } from "./preprocess.ts";
 * Deno.exit(await preprocessMain(["--data", "/data/Task04_Hippocampus", "--spacing", "1,1,1"]));
 * ```
 */
export async function preprocessMain(args: string[]): Promise<number> {
  const positionalCount = countPositionals(args) === 2 ? 2 : 0;
  const parsed = parseCommandLine(args, OPTIONS, USAGE, { positionals: positionalCount });
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  let root: string;
  let workDir: string;
  if (positionals.length === 2) {
    if (values.data !== undefined || values.out !== undefined) {
      console.error(
        `give the dataset and output either as --data/--out or as two positional arguments, ` +
          `not both\n\n${USAGE}`,
      );
      return 2;
    }
    [root, workDir] = positionals;
  } else if (values.data === undefined) {
    console.error(`--data is required\n\n${USAGE}`);
    return 2;
  } else {
    root = values.data;
    workDir = preparedWorkDir(root, values.out ?? "runs");
  }
  const intensity = values.intensity as IntensityKind | undefined;
  if (intensity && !KINDS.includes(intensity)) {
    console.error(`--intensity must be one of ${KINDS.join(", ")}, got "${intensity}"`);
    return 2;
  }
  let folds: number;
  let seed: number;
  let spacing: Vec3 | undefined;
  try {
    spacing = numberList("spacing", values.spacing, 3) as Vec3 | undefined;
    folds = positiveInteger("folds", values.folds) ?? 5;
    seed = finiteNumber("seed", values.seed) ?? 12345;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  try {
    const prepared = await prepareDataset(root, workDir, {
      folds,
      seed,
      plan: {
        intensity,
        targetSpacing: spacing,
        imageInterpolation: values.cubic ? "cubic" : "linear",
      },
    });
    const { preprocessed, splits, plan } = prepared;
    const seconds = (performance.now() - started) / 1000;
    const target = plan.targetSpacing?.map((s) => +s.toFixed(4)).join(" × ") ?? "per case";
    console.log(
      `${preprocessed.ids.length} cases (${preprocessed.stats.misses} preprocessed, ` +
        `${preprocessed.stats.hits} cached), spacing ${target} mm, ${splits.length} folds, ` +
        `${seconds.toFixed(1)} s → ${workDir}`,
    );
    return 0;
  } catch (error) {
    if (!DATA_ERRORS.some((kind) => error instanceof kind)) throw error;
    console.error(`preprocess: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await preprocessMain(Deno.args));
