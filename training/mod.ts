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
