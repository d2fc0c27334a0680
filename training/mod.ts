/**
 * Training: the trainer, losses, checkpoints and the validation-score prediction.
 *
 * @module
 */

export {
  evaluatePolynomial,
  fittedScore,
  predictFinalScore,
  type ScorePrediction,
  type ScorePredictionFailure,
  type ScorePredictionFit,
  type ScorePredictionOptions,
} from "./score_prediction.ts";
export * from "./validation_curve.ts";
export * from "./early_stopping.ts";
export * from "./batch_source.ts";
export * from "./checkpoint.ts";
export * from "./deep_supervision.ts";
export * from "./pseudo_dice.ts";
export * from "./patch_batch_source.ts";
export * from "./trainer.ts";
export * from "./trackers/mod.ts";
export {
  layoutLineChart,
  type LineChartSpec,
  renderChartPng,
  renderChartSvg,
  renderHtmlReport,
  trainingChartSpec,
} from "./report/mod.ts";
export * from "./progress_bar.ts";
