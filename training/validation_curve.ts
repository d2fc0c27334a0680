/**
 * Score prediction for a training run's validation curve: which epochs to fit and what a
 * Dice score can be. Training curves start flat and rise steeply before they saturate, and no
 * rational curve follows that start, so the quotient regression of `score_prediction.ts` is
 * fitted from the epoch the curve reaches a fraction of its maximum, with the asymptote held
 * to the possible scores.
 *
 * @module
 */

import { predictFinalScore, type ScorePredictionOptions } from "./score_prediction.ts";

/** Settings of {@link predictValidationCurve}. */
export interface ValidationCurveOptions extends ScorePredictionOptions {
  /**
   * The fit starts at the first epoch whose score reaches this fraction of the curve's
   * maximum, so the flat start and the steep rise of a training curve (which no rational
   * curve follows) do not pull the asymptote. Default 0.75; 0 fits every epoch.
   */
  onsetFraction?: number;
  /** Fewest fitted epochs before a prediction is tried. Default 6. */
  minEpochs?: number;
}

/** A prediction for a validation curve, in the trainer's epoch numbering (from 0). */
export interface ValidationCurvePrediction {
  /** The score the curve is heading for. */
  finalScore: number;
  /** Epoch (from 0) from which the fitted curve stays within the tolerance of it, if any. */
  convergenceEpoch: number | undefined;
  /** First epoch (from 0) the fit used. */
  firstFittedEpoch: number;
}

/**
 * Predicts a training run's final validation score from its curve so far: epochs counted
 * from 0, non-finite scores skipped, the fit starting where the curve has risen to
 * `onsetFraction` of its maximum (see {@link ValidationCurveOptions}). Returns undefined when
 * {@link predictFinalScore} cannot stand behind a number.
 */
export function predictValidationCurve(
  epochs: readonly number[],
  scores: readonly number[],
  options: ValidationCurveOptions = {},
): ValidationCurvePrediction | undefined {
  const onsetFraction = options.onsetFraction ?? 0.75;
  const minEpochs = options.minEpochs ?? 6;
  const points = epochs
    .map((epoch, index) => ({ epoch, score: scores[index] }))
    .filter(({ epoch, score }) => Number.isFinite(epoch) && Number.isFinite(score));
  if (!points.length) return undefined;
  const maximum = Math.max(...points.map((point) => point.score));
  const onset = points.findIndex((point) => point.score >= onsetFraction * maximum);
  const fitted = points.slice(Math.max(onset, 0));
  if (fitted.length < minEpochs) return undefined;
  const fit = predictFinalScore(
    fitted.map((point) => point.epoch + 1),
    fitted.map((point) => point.score),
    options,
  );
  if (!fit.ok) return undefined;
  return {
    finalScore: fit.predictedFinalScore,
    convergenceEpoch: fit.convergenceEpoch === undefined ? undefined : fit.convergenceEpoch - 1,
    firstFittedEpoch: fitted[0].epoch,
  };
}

/**
 * The settings the trainer and the local tracker predict a Dice curve with: scores in
 * [0, 1], convergence within 0.01.
 */
export const DICE_CURVE_PREDICTION: ValidationCurveOptions = {
  scoreBounds: [0, 1],
  tolerance: 0.01,
};
