/**
 * What a metric reports when the predicted or the reference mask of a class is empty, where
 * its formula divides by zero or measures a distance to nothing.
 *
 * Defaults (every one can be changed):
 *
 * | metric | both masks empty | only prediction empty | only reference empty |
 * |---|---|---|---|
 * | Dice, IoU | `bothEmptyScore` = NaN | 0 | 0 |
 * | precision | `bothEmptyScore` = NaN | `undefinedRatio` = NaN | 0 |
 * | recall | `bothEmptyScore` = NaN | 0 | `undefinedRatio` = NaN |
 * | NSD | `bothEmptyScore` = NaN | 0 | 0 |
 * | HD, HD95, ASSD | `bothEmptyDistance` = NaN | `oneEmptyDistance` = NaN | `oneEmptyDistance` = NaN |
 * | volume difference (mm³) | 0 | −reference volume | predicted volume |
 * | relative volume difference | `emptyReferenceRelativeVolume` = NaN | −1 | `emptyReferenceRelativeVolume` = NaN |
 *
 * NaN follows nnU-Net (Dice of two empty masks is NaN, so such cases drop out of the class
 * mean instead of inflating it with a free 1). Set `bothEmptyScore: 1` and
 * `bothEmptyDistance: 0` to reward correctly predicting absence, or `oneEmptyDistance:
 * "diagonal"` to penalise a missed or hallucinated structure with the largest distance
 * possible in the image (the length of its diagonal between voxel centres).
 *
 * @module
 */

/** Values reported where a metric is undefined because a mask is empty. */
export interface EmptyMaskPolicy {
  /** Dice, IoU, precision, recall and NSD when both masks are empty. Default NaN. */
  readonly bothEmptyScore: number;
  /**
   * Precision when only the prediction is empty, recall when only the reference is empty
   * (0/0 in both cases). Default NaN.
   */
  readonly undefinedRatio: number;
  /** HD, HD95 and ASSD when both masks are empty. Default NaN. */
  readonly bothEmptyDistance: number;
  /**
   * HD, HD95 and ASSD (mm) when exactly one mask is empty: a number, or `"diagonal"` for the
   * image's diagonal length. Default NaN.
   */
  readonly oneEmptyDistance: number | "diagonal";
  /** Relative volume difference when the reference is empty. Default NaN. */
  readonly emptyReferenceRelativeVolume: number;
}

/** The defaults described in the module documentation (NaN wherever a value is undefined). */
export const DEFAULT_EMPTY_MASK_POLICY: EmptyMaskPolicy = Object.freeze({
  bothEmptyScore: NaN,
  undefinedRatio: NaN,
  bothEmptyDistance: NaN,
  oneEmptyDistance: NaN,
  emptyReferenceRelativeVolume: NaN,
});

/**
 * Fills the fields a caller left out with the defaults.
 *
 * @example
 * ```ts
 * import { resolveEmptyMaskPolicy } from "./empty_mask_policy.ts";
 * resolveEmptyMaskPolicy({ bothEmptyScore: 1 }).bothEmptyDistance; // NaN
 * ```
 */
export function resolveEmptyMaskPolicy(policy: Partial<EmptyMaskPolicy> = {}): EmptyMaskPolicy {
  // Spread alone would let an explicit `undefined` erase a default.
  const defined = Object.entries(policy).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_EMPTY_MASK_POLICY, ...Object.fromEntries(defined) };
}
