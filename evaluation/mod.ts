/**
 * Segmentation metrics and their evaluation: overlap (Dice, IoU, precision, recall, volume
 * differences) and surface distances (HD95, HD, ASSD, NSD) in millimetres with anisotropic
 * spacing, per case and per class, summarised and written as JSON and CSV.
 *
 * @example
 * ```ts ignore
 * import { evaluateFolders } from "@mipcandy/mipcandy/evaluation";
 * const { report } = await evaluateFolders("predictions/", "labelsTs/");
 * console.log(report.perClass["1"].mean.dice);
 * ```
 *
 * @module
 */

export {
  bothEmptyClassMetrics,
  type CaseMetrics,
  CLASS_METRIC_NAMES,
  type ClassMetrics,
  computeCaseMetrics,
  DEFAULT_NSD_TOLERANCE_MM,
  type MetricSettings,
  type ResolvedMetricSettings,
  resolveMetricSettings,
} from "./case_metrics.ts";
export {
  distanceToSeeds,
  type GridDims,
  type GridSpacing,
  squaredDistanceToSeeds,
  squaredDistanceTransformInPlace,
} from "./distance_transform.ts";
export {
  DEFAULT_EMPTY_MASK_POLICY,
  type EmptyMaskPolicy,
  resolveEmptyMaskPolicy,
} from "./empty_mask_policy.ts";
export {
  caseIdOfFileName,
  csvPathBeside,
  evaluateFolders,
  type FolderEvaluationOptions,
  type FolderEvaluationResult,
  LABEL_FILE_EXTENSIONS,
  listCaseFiles,
  MissingPredictionsError,
} from "./evaluate_folders.ts";
export {
  type EvaluationCase,
  Evaluator,
  type EvaluatorOptions,
  writeEvaluationReport,
} from "./evaluator.ts";
export {
  assertSameGrid as assertPredictionGrid,
  DEFAULT_AFFINE_TOLERANCE,
  GridMismatchError as PredictionGridMismatchError,
} from "./grid_match.ts";
export { foregroundLabels, type LabelMap, labelMapFromVolume } from "./label_map.ts";
export {
  type ConfusionCounts,
  countConfusion,
  type OverlapMetrics,
  overlapMetrics,
} from "./overlap_metrics.ts";
export {
  type ClassSummary,
  type EvaluationReport,
  type MetricValues,
  reportToCsv,
  reportToJson,
  summarizeCases,
} from "./summary.ts";
export {
  type SurfaceMetrics,
  surfaceMetrics,
  type SurfaceMetricsOptions,
} from "./surface_metrics.ts";
export { surfaceVoxels } from "./surface_voxels.ts";
