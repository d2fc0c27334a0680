/**
 * Cross-validation splits over case ids and the seeded generator they use.
 *
 * @example
 * ```ts ignore
 * import { loadOrCreateSplits, selectFold } from "./mod.ts";
 * const splits = await loadOrCreateSplits("splits.json", dataset.cases().map((c) => c.id));
 * const { train, val } = selectFold(splits, 0);
 * ```
 *
 * @module
 */

export {
  type FoldSelection,
  type FoldSplit,
  kFoldSplits,
  loadOrCreateSplits,
  selectFold,
  SplitError,
} from "./kfold.ts";
export { type RandomSource, seededRandom, shuffleInPlace } from "./seeded_random.ts";
