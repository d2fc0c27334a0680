/**
 * Looking at a dataset before training: bounding boxes, the dataset fingerprint (geometry,
 * class sizes, foreground intensities), and regions of interest.
 *
 * @example
 * ```ts ignore
 * import { fingerprintDataset, saveFingerprint } from "./mod.ts";
 * await saveFingerprint("fingerprint.json", await fingerprintDataset(dataset));
 * ```
 *
 * @module
 */

export {
  type BoundingBox,
  boxSize,
  foregroundBoundingBox,
  fullBox,
  nonzeroBoundingBox,
} from "./bounding_box.ts";
export {
  type IntensityStatistics,
  intensityStatistics,
  median,
  percentileOfSorted,
} from "./statistics.ts";
export {
  type CaseFingerprint,
  type CaseFingerprintWithSamples,
  type DatasetFingerprint,
  fingerprintCase,
  fingerprintDataset,
  type FingerprintOptions,
  summariseFingerprints,
} from "./fingerprint.ts";
export { loadFingerprint, saveFingerprint } from "./fingerprint_file.ts";
export { centredBox, cropToNonzero, type NonzeroCrop, roiSizeFromExtents } from "./roi.ts";
