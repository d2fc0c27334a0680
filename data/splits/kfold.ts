/**
 * Deterministic k-fold cross-validation splits over case ids: the ids are sorted, shuffled
 * with a seeded generator and dealt into k nearly equal validation folds (the first
 * `n mod k` folds get one case more), in the spirit of scikit-learn's
 * `KFold(shuffle=True, random_state=seed)`. Splits are saved as `splits.json` — a list of
 * `{train, val}` — and reused when present, so every run trains on the same folds.
 *
 * @module
 */

import { atomicWriteTextFile } from "../../core/serialize/atomic_write.ts";
import { DatasetLayoutError } from "../datasets/errors.ts";
import { seededRandom, shuffleInPlace } from "./seeded_random.ts";

/** One fold: the cases to train on and the cases to validate on. */
export interface FoldSplit {
  /** Training case ids. */
  train: string[];
  /** Validation case ids. */
  val: string[];
}

/** A fold number, or `"all"` to train on every case (and validate on none). */
export type FoldSelection = number | "all";

/** Raised for impossible split requests (too few cases, unknown fold). */
export class SplitError extends Error {
  /** See `Error`. */
  constructor(message: string) {
    super(message);
    this.name = "SplitError";
  }
}

/**
 * Splits case ids into `folds` folds, deterministically for a given `seed` (default 12345)
 * whatever order the ids come in.
 *
 * @example
 * ```ts
 * import { kFoldSplits } from "./kfold.ts";
 * const splits = kFoldSplits(["a", "b", "c", "d", "e"], 5, 0);
 * console.assert(splits.length === 5 && splits[0].val.length === 1);
 * ```
 */
export function kFoldSplits(ids: readonly string[], folds = 5, seed = 12345): FoldSplit[] {
  if (!Number.isInteger(folds) || folds < 2) {
    throw new SplitError(`folds must be an integer ≥ 2, got ${folds}`);
  }
  const unique = [...new Set(ids)].sort();
  if (unique.length !== ids.length) throw new SplitError("case ids must be unique");
  if (unique.length < folds) {
    throw new SplitError(`${unique.length} case(s) cannot be split into ${folds} folds`);
  }
  const order = shuffleInPlace(unique, seededRandom(seed));
  const base = Math.floor(order.length / folds);
  const extra = order.length % folds;
  const splits: FoldSplit[] = [];
  let start = 0;
  for (let fold = 0; fold < folds; fold++) {
    const end = start + base + (fold < extra ? 1 : 0);
    const val = order.slice(start, end).sort();
    const train = [...order.slice(0, start), ...order.slice(end)].sort();
    splits.push({ train, val });
    start = end;
  }
  return splits;
}

function parseSplits(text: string, path: string): FoldSplit[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DatasetLayoutError(path, `is not valid JSON (${(error as Error).message})`);
  }
  const isIdList = (value: unknown) =>
    Array.isArray(value) && value.every((id) => typeof id === "string");
  if (
    !Array.isArray(parsed) ||
    !parsed.every((fold) => isIdList(fold?.train) && isIdList(fold?.val))
  ) {
    throw new DatasetLayoutError(path, "is not a list of {train, val} id lists");
  }
  return parsed as FoldSplit[];
}

/**
 * Reads `path` if it exists, otherwise computes {@link kFoldSplits} and saves them there
 * (atomically). A saved file that misses some of `ids`, or names cases not in `ids`, is an
 * error: the dataset changed since the split was made.
 *
 * @throws {DatasetLayoutError} When the file is malformed or does not match `ids`.
 */
export async function loadOrCreateSplits(
  path: string,
  ids: readonly string[],
  folds = 5,
  seed = 12345,
): Promise<FoldSplit[]> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (text === undefined) {
    const splits = kFoldSplits(ids, folds, seed);
    await atomicWriteTextFile(path, JSON.stringify(splits, null, 1) + "\n");
    return splits;
  }
  const splits = parseSplits(text, path);
  const wanted = new Set(ids);
  for (const [fold, split] of splits.entries()) {
    const covered = new Set([...split.train, ...split.val]);
    const unknown = [...covered].find((id) => !wanted.has(id));
    const missing = ids.find((id) => !covered.has(id));
    if (unknown !== undefined || missing !== undefined || covered.size !== wanted.size) {
      throw new DatasetLayoutError(
        path,
        `fold ${fold} does not match the dataset (` +
          (unknown !== undefined ? `unknown case "${unknown}"` : `missing case "${missing}"`) +
          ")",
        "delete the file to make a new split",
      );
    }
  }
  return splits;
}

/**
 * The train/val ids of one fold; `"all"` trains on every case of the splits and validates on
 * none.
 *
 * @throws {SplitError} For a fold number outside the splits.
 */
export function selectFold(splits: readonly FoldSplit[], fold: FoldSelection): FoldSplit {
  if (fold === "all") {
    const all = new Set(splits.flatMap((split) => [...split.train, ...split.val]));
    return { train: [...all].sort(), val: [] };
  }
  const split = splits[fold];
  if (!Number.isInteger(fold) || !split) {
    throw new SplitError(`fold ${fold} does not exist; there are ${splits.length} folds`);
  }
  return { train: [...split.train], val: [...split.val] };
}
