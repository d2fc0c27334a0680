/**
 * Predicts where a validation curve is heading, as MIP Candy's training loop does: fit a
 * rational function y ≈ P(x) / Q(x) to (epoch, score) pairs and read off its asymptote.
 *
 * The fit starts linearised ("quotient regression"): with Q's constant term fixed at 1,
 * `y·Q(x) = P(x)` becomes `P(x) − y·(Q(x) − 1) = y`, linear in the coefficients of P and Q,
 * solved by least squares (Householder QR in float64). That residual is the true one scaled
 * by Q(x), and noisy y also sits among its regressors, which biases the asymptote by several
 * per cent on noisy curves; so the linear solution is reweighted by 1/Q a few times and then
 * refined by Gauss–Newton on the true residuals y − P/Q, each step again a QR solve. Steps
 * that would put a pole of Q anywhere after the first epoch are refused (past a pole the
 * "asymptote" would describe a curve training never follows), and a few
 * pole-free starting points back up a linearised start that already has one.
 *
 * Epochs are divided by the last epoch and scores by their largest magnitude first, so the
 * powers of x stay near 1 and the systems stay well conditioned; the asymptote is unchanged by
 * the epoch scaling.
 *
 * A rational curve approaches its asymptote like 1/x. Curves that saturate exponentially are
 * fitted less faithfully, and extrapolating them can miss their plateau by 10 % or more.
 *
 * When deg P = deg Q the curve tends to the ratio of the leading coefficients. MIP Candy
 * reports a "slope" built from those leading terms, which cancel, so it is always ≈ 0; here
 * the slope is the derivative of the fitted curve at the last observed epoch, in score per
 * epoch, which says how much one more epoch is still expected to give.
 *
 * @module
 */

import { derivative, evaluatePolynomial, polesFrom, solveLeastSquares } from "./polynomial.ts";

export { evaluatePolynomial };

/** Settings of {@link predictFinalScore}. */
export interface ScorePredictionOptions {
  /** Degree of the numerator P. Default 1. */
  numeratorDegree?: number;
  /** Degree of the denominator Q (constant term fixed at 1). Default 1. */
  denominatorDegree?: number;
  /**
   * ε: the convergence epoch is where the fitted curve comes within ε of its asymptote for
   * good. In score units; default 0.001.
   */
  tolerance?: number;
  /**
   * Last epoch the convergence search looks at (and, for deg Q > 2, the pole search samples).
   * Default 100 × the last observed epoch.
   */
  horizonEpoch?: number;
  /**
   * Range a final score can lie in (`[0, 1]` for Dice). An asymptote outside it is reported
   * as a failure instead of a prediction. Default: no bounds.
   */
  scoreBounds?: readonly [number, number];
}

/** A successful prediction. */
export interface ScorePredictionFit {
  /** Discriminates success from {@link ScorePredictionFailure}. */
  ok: true;
  /** The fitted curve's asymptote: the score training is heading for. */
  predictedFinalScore: number;
  /**
   * First whole epoch from which the fitted curve stays within `tolerance` of the asymptote up
   * to the horizon, or undefined when it does not get there before the horizon.
   */
  convergenceEpoch: number | undefined;
  /** Fitted score at the last observed epoch. */
  fittedScoreAtLastEpoch: number;
  /** Derivative of the fitted curve at the last observed epoch, score per epoch. */
  slopeAtLastEpoch: number;
  /** Root-mean-square difference between the observed and fitted scores. */
  rootMeanSquareError: number;
  /** Degree of P actually fitted (lower than asked when the asked one was degenerate). */
  numeratorDegree: number;
  /** Degree of Q actually fitted. */
  denominatorDegree: number;
  /** Coefficients of P in the original units, constant term first: P(x) = Σ pₖ xᵏ. */
  numerator: number[];
  /** Coefficients of Q in the original units, constant term (1) first. */
  denominator: number[];
}

/** Why no prediction could be made. */
export interface ScorePredictionFailure {
  /** Discriminates failure from {@link ScorePredictionFit}. */
  ok: false;
  /** A sentence saying what went wrong and, where possible, what to do. */
  reason: string;
}

/** The result of {@link predictFinalScore}: a fit, or the reason there is none. */
export type ScorePrediction = ScorePredictionFit | ScorePredictionFailure;

/** Value of the fitted curve P(x) / Q(x) of a prediction at epoch `x`. */
export function fittedScore(fit: ScorePredictionFit, epoch: number): number {
  return evaluatePolynomial(fit.numerator, epoch) / evaluatePolynomial(fit.denominator, epoch);
}

/** P and Q of packed coefficients `[p0..pm, q1..qn]` at `x` (Q's constant term is 1). */
function quotientParts(
  coefficients: Float64Array,
  numeratorDegree: number,
  x: number,
): { p: number; q: number } {
  let p = 0;
  for (let power = numeratorDegree; power >= 0; power--) p = p * x + coefficients[power];
  let q = 0;
  for (let index = coefficients.length - 1; index > numeratorDegree; index--) {
    q = q * x + coefficients[index];
  }
  return { p, q: q * x + 1 };
}

function sumOfSquaredResiduals(
  coefficients: Float64Array,
  numeratorDegree: number,
  xs: Float64Array,
  ys: Float64Array,
): number {
  let sum = 0;
  for (let row = 0; row < xs.length; row++) {
    const { p, q } = quotientParts(coefficients, numeratorDegree, xs[row]);
    sum += (ys[row] - p / q) ** 2;
  }
  return sum;
}

/**
 * One linearised solve: rows `wᵢ·[xᵏ…, −yᵢ xᵏ…] = wᵢ·yᵢ`. With weights 1/Q_prev(xᵢ) its
 * residual approximates the true one, yᵢ − P/Q (Sanathanan–Koerner iteration).
 */
function linearisedFit(
  xs: Float64Array,
  ys: Float64Array,
  numeratorDegree: number,
  denominatorDegree: number,
  weights: Float64Array,
): Float64Array | undefined {
  const unknowns = numeratorDegree + 1 + denominatorDegree;
  const matrix = new Float64Array(xs.length * unknowns);
  const target = new Float64Array(xs.length);
  for (let row = 0; row < xs.length; row++) {
    const [x, y, weight] = [xs[row], ys[row], weights[row]];
    for (let power = 0; power <= numeratorDegree; power++) {
      matrix[row * unknowns + power] = weight * x ** power;
    }
    for (let power = 1; power <= denominatorDegree; power++) {
      matrix[row * unknowns + numeratorDegree + power] = -weight * y * x ** power;
    }
    target[row] = weight * y;
  }
  return solveLeastSquares(matrix, xs.length, unknowns, target);
}

/** Whether Q of packed coefficients has a root at or after `from` (see {@link polesFrom}). */
function hasPole(
  coefficients: Float64Array,
  numeratorDegree: number,
  from: number,
  horizon: number,
): boolean {
  const denominator = [1, ...coefficients.subarray(numeratorDegree + 1)];
  return polesFrom(denominator, from, horizon).length > 0;
}

/**
 * Gauss–Newton steps on the true residuals yᵢ − P(xᵢ)/Q(xᵢ), halving a step until it lowers
 * the squared error without putting a pole of Q into `[from, to]`. The plain linearised fit is
 * biased: its residual is scaled by Q(x), which grows with the epoch, and y appears among its
 * regressors, so noise in y pulls the coefficients (by several per cent in the asymptote).
 */
function refineOnTrueResiduals(
  start: Float64Array,
  xs: Float64Array,
  ys: Float64Array,
  numeratorDegree: number,
  [from, to]: [number, number],
): { coefficients: Float64Array; error: number } {
  const unknowns = start.length;
  let coefficients = start;
  let error = sumOfSquaredResiduals(coefficients, numeratorDegree, xs, ys);
  const jacobian = new Float64Array(xs.length * unknowns);
  const residuals = new Float64Array(xs.length);
  for (let iteration = 0; iteration < 50; iteration++) {
    for (let row = 0; row < xs.length; row++) {
      const x = xs[row];
      const { p, q } = quotientParts(coefficients, numeratorDegree, x);
      const value = p / q;
      residuals[row] = ys[row] - value;
      for (let index = 0; index < unknowns; index++) {
        jacobian[row * unknowns + index] = index <= numeratorDegree
          ? x ** index / q
          : (-value * x ** (index - numeratorDegree)) / q;
      }
    }
    const step = solveLeastSquares(jacobian, xs.length, unknowns, residuals);
    if (step === undefined) break;
    let accepted: Float64Array | undefined;
    let acceptedError = error;
    for (let length = 1; length > 1e-6 && accepted === undefined; length /= 2) {
      const trial = coefficients.map((value, index) => value + length * step[index]);
      if (hasPole(trial, numeratorDegree, from, to)) continue;
      const trialError = sumOfSquaredResiduals(trial, numeratorDegree, xs, ys);
      if (trialError < error) [accepted, acceptedError] = [trial, trialError];
    }
    if (accepted === undefined) break;
    const improvement = error - acceptedError;
    [coefficients, error] = [accepted, acceptedError];
    if (improvement <= 1e-14 * error) break;
  }
  return { coefficients, error };
}

/**
 * The linearised fit, then refits weighted by 1/Q of the previous one (Sanathanan–Koerner),
 * which makes the linear residual approximate the true one; undefined when singular.
 */
function linearisedStart(
  xs: Float64Array,
  ys: Float64Array,
  numeratorDegree: number,
  denominatorDegree: number,
): Float64Array | undefined {
  const weights = new Float64Array(xs.length).fill(1);
  let coefficients = linearisedFit(xs, ys, numeratorDegree, denominatorDegree, weights);
  for (let iteration = 0; iteration < 5 && coefficients !== undefined; iteration++) {
    const fit = coefficients;
    const denominators = Array.from(xs, (x) => quotientParts(fit, numeratorDegree, x).q);
    // A denominator that vanishes or changes sign on the data cannot serve as a weight.
    if (!denominators.every((q) => q > 0)) break;
    denominators.forEach((q, row) => (weights[row] = 1 / q));
    coefficients = linearisedFit(xs, ys, numeratorDegree, denominatorDegree, weights) ?? fit;
  }
  return coefficients;
}

/**
 * Starting points that cannot have a pole: Q = (1 + c·x)ⁿ for a fast, a medium and a slow
 * saturation rate c, with P then fitted linearly. They rescue curves whose linearised fit
 * puts a pole among the epochs (nearly flat curves, where noise decides the sign of q).
 */
function poleFreeStarts(
  xs: Float64Array,
  ys: Float64Array,
  numeratorDegree: number,
  denominatorDegree: number,
): Float64Array[] {
  const starts: Float64Array[] = [];
  for (const rate of [0.3, 3, 30]) {
    // Binomial coefficients of (1 + c·x)ⁿ, without the constant term.
    const denominator = Array.from({ length: denominatorDegree }, (_, index) => {
      let binomial = 1;
      for (let factor = 0; factor <= index; factor++) {
        binomial = (binomial * (denominatorDegree - factor)) / (factor + 1);
      }
      return binomial * rate ** (index + 1);
    });
    const columns = numeratorDegree + 1;
    const matrix = new Float64Array(xs.length * columns);
    for (let row = 0; row < xs.length; row++) {
      const q = evaluatePolynomial([1, ...denominator], xs[row]);
      for (let power = 0; power < columns; power++) {
        matrix[row * columns + power] = xs[row] ** power / q;
      }
    }
    const numerator = solveLeastSquares(matrix, xs.length, columns, ys);
    if (numerator !== undefined) starts.push(Float64Array.of(...numerator, ...denominator));
  }
  return starts;
}

/**
 * Fits packed coefficients `[p0..pm, q1..qn]` to normalised points, with no pole of Q in
 * `range`: refines each starting point on the true residuals and keeps the best; undefined
 * when every start fails.
 */
function fitQuotient(
  xs: Float64Array,
  ys: Float64Array,
  numeratorDegree: number,
  denominatorDegree: number,
  range: [number, number],
): Float64Array | undefined {
  const starts = [
    linearisedStart(xs, ys, numeratorDegree, denominatorDegree),
    ...poleFreeStarts(xs, ys, numeratorDegree, denominatorDegree),
  ].filter((start): start is Float64Array => start !== undefined && start.every(Number.isFinite));
  let best: { coefficients: Float64Array; error: number } | undefined;
  for (const start of starts) {
    if (hasPole(start, numeratorDegree, range[0], range[1])) continue;
    const refined = refineOnTrueResiduals(start, xs, ys, numeratorDegree, range);
    if (best === undefined || refined.error < best.error) best = refined;
  }
  return best?.coefficients;
}

/**
 * Smallest share of |Q(x)| at the last epoch that Q's leading term must carry. Below it the
 * data barely see that term, so the limit p_m/q_n rests on a coefficient the data do not
 * determine (a 2/2 fit of a 1/1-shaped curve can then send its "asymptote" anywhere).
 */
const LEADING_TERM_MIN_SHARE = 0.01;

/**
 * Fits the asked degrees; when Q's leading term is negligible over the data, drops both
 * degrees by one and fits again, since the lower-degree quotient describes the same data
 * with a determined asymptote. Fails when even degree 1 is degenerate (not saturating).
 */
function fitWithDegreeFallback(
  xs: Float64Array,
  ys: Float64Array,
  numeratorDegree: number,
  denominatorDegree: number,
  range: [number, number],
): { solution: Float64Array; numeratorDegree: number; denominatorDegree: number } | {
  reason: string;
} {
  const solution = fitQuotient(xs, ys, numeratorDegree, denominatorDegree, range);
  if (solution === undefined || !solution.every(Number.isFinite)) {
    return {
      reason: `No ${numeratorDegree}/${denominatorDegree} quotient without a pole after the ` +
        "first epoch fits these scores (or the fit is singular); lower the degrees or wait " +
        "for more epochs",
    };
  }
  if (denominatorDegree === 0) return { solution, numeratorDegree, denominatorDegree };
  // At the last epoch the normalised x is 1, so Q's terms there are its coefficients.
  const terms = [1, ...solution.subarray(numeratorDegree + 1)].map(Math.abs);
  const share = terms[terms.length - 1] / terms.reduce((sum, term) => sum + term, 0);
  if (share >= LEADING_TERM_MIN_SHARE) return { solution, numeratorDegree, denominatorDegree };
  if (numeratorDegree > 0 && denominatorDegree > 1) {
    return fitWithDegreeFallback(xs, ys, numeratorDegree - 1, denominatorDegree - 1, range);
  }
  return {
    reason: "The fitted denominator's leading term is negligible over the observed epochs, " +
      "so the curve has no asymptote the data determine: the scores are not saturating yet",
  };
}

function checkDegree(name: string, degree: number): void {
  if (!Number.isInteger(degree) || degree < 0) {
    throw new RangeError(`The ${name} degree must be an integer ≥ 0, got ${degree}`);
  }
}

function failure(reason: string): ScorePredictionFailure {
  return { ok: false, reason };
}

/**
 * Fits y ≈ P(epoch) / Q(epoch) to a validation curve and predicts the score it converges to.
 * Returns `{ ok: false, reason }` instead of a number it cannot stand behind: too few
 * points, a singular fit, no fit without a pole of Q after the first epoch, a curve with no
 * finite asymptote, or non-finite values.
 *
 * @example
 * ```ts
 * import { predictFinalScore } from "./score_prediction.ts";
 * const epochs = Array.from({ length: 30 }, (_, index) => index + 1);
 * const scores = epochs.map((epoch) => (0.9 * epoch) / (5 + epoch));
 * const prediction = predictFinalScore(epochs, scores);
 * if (prediction.ok) console.log(prediction.predictedFinalScore); // ≈ 0.9
 * ```
 */
export function predictFinalScore(
  epochs: readonly number[],
  scores: readonly number[],
  options: ScorePredictionOptions = {},
): ScorePrediction {
  const numeratorDegree = options.numeratorDegree ?? 1;
  const denominatorDegree = options.denominatorDegree ?? 1;
  const tolerance = options.tolerance ?? 1e-3;
  checkDegree("numerator", numeratorDegree);
  checkDegree("denominator", denominatorDegree);
  if (!(tolerance > 0)) throw new RangeError(`Tolerance must be positive, got ${tolerance}`);
  if (epochs.length !== scores.length) {
    throw new RangeError(`Got ${epochs.length} epochs but ${scores.length} scores`);
  }
  if (numeratorDegree > denominatorDegree) {
    return failure(
      `deg P = ${numeratorDegree} > deg Q = ${denominatorDegree} grows without bound; ` +
        `use deg P ≤ deg Q`,
    );
  }
  const points = epochs
    .map((epoch, index) => ({ epoch, score: scores[index] }))
    .filter(({ epoch, score }) => Number.isFinite(epoch) && Number.isFinite(score));
  const unknowns = numeratorDegree + 1 + denominatorDegree;
  const distinctEpochs = new Set(points.map((point) => point.epoch)).size;
  if (distinctEpochs <= unknowns) {
    return failure(
      `Too few points: a ${numeratorDegree}/${denominatorDegree} quotient has ${unknowns} ` +
        `coefficients and needs at least ${unknowns + 1} distinct epochs with finite scores, ` +
        `got ${distinctEpochs}`,
    );
  }
  const firstEpoch = Math.min(...points.map((point) => point.epoch));
  const lastEpoch = Math.max(...points.map((point) => point.epoch));
  const horizonEpoch = options.horizonEpoch ?? 100 * lastEpoch;
  if (lastEpoch <= 0) return failure(`Epochs must be positive, the last is ${lastEpoch}`);
  if (!(horizonEpoch >= lastEpoch) || !Number.isFinite(horizonEpoch)) {
    throw new RangeError(`horizonEpoch ${horizonEpoch} lies before the last epoch ${lastEpoch}`);
  }

  const epochScale = lastEpoch;
  const scoreScale = Math.max(...points.map((point) => Math.abs(point.score))) || 1;
  const xs = Float64Array.from(points, (point) => point.epoch / epochScale);
  const ys = Float64Array.from(points, (point) => point.score / scoreScale);
  const range: [number, number] = [firstEpoch / epochScale, horizonEpoch / epochScale];
  const fitted = fitWithDegreeFallback(xs, ys, numeratorDegree, denominatorDegree, range);
  if ("reason" in fitted) return failure(fitted.reason);
  const { solution } = fitted;
  // Back to original units: P(x) = s_y Σ p̂ₖ (x/s_x)ᵏ, Q(x) = Σ q̂ₖ (x/s_x)ᵏ.
  const numerator = Array.from(
    { length: fitted.numeratorDegree + 1 },
    (_, power) => (scoreScale * solution[power]) / epochScale ** power,
  );
  const denominator = Array.from(
    { length: fitted.denominatorDegree + 1 },
    (_, power) => power === 0 ? 1 : solution[fitted.numeratorDegree + power] / epochScale ** power,
  );
  const poles = polesFrom(denominator, firstEpoch, horizonEpoch);
  if (poles.length > 0) {
    return failure(
      `The fitted curve has a pole at epoch ${poles[0].toFixed(1)}, after the first epoch ` +
        `${firstEpoch}, so it has no asymptote to predict; the curve is not saturating yet, ` +
        `or try other degrees`,
    );
  }
  const predictedFinalScore = fitted.numeratorDegree === fitted.denominatorDegree
    ? (scoreScale * solution[fitted.numeratorDegree]) / solution[solution.length - 1]
    : 0;
  const fit: ScorePredictionFit = {
    ok: true,
    predictedFinalScore,
    numeratorDegree: fitted.numeratorDegree,
    denominatorDegree: fitted.denominatorDegree,
    convergenceEpoch: undefined,
    fittedScoreAtLastEpoch: 0,
    slopeAtLastEpoch: 0,
    rootMeanSquareError: 0,
    numerator,
    denominator,
  };
  fit.fittedScoreAtLastEpoch = fittedScore(fit, lastEpoch);
  const numeratorAtLast = evaluatePolynomial(numerator, lastEpoch);
  const denominatorAtLast = evaluatePolynomial(denominator, lastEpoch);
  fit.slopeAtLastEpoch = (evaluatePolynomial(derivative(numerator), lastEpoch) * denominatorAtLast -
    numeratorAtLast * evaluatePolynomial(derivative(denominator), lastEpoch)) /
    denominatorAtLast ** 2;
  const squaredErrors = points.map(({ epoch, score }) => (score - fittedScore(fit, epoch)) ** 2);
  fit.rootMeanSquareError = Math.sqrt(squaredErrors.reduce((a, b) => a + b, 0) / points.length);
  fit.convergenceEpoch = convergenceEpoch(fit, firstEpoch, horizonEpoch, tolerance);
  const values = [predictedFinalScore, fit.fittedScoreAtLastEpoch, fit.slopeAtLastEpoch];
  if (!values.every(Number.isFinite)) {
    return failure("The fit produced non-finite values; the curve may be too noisy or too short");
  }
  const bounds = options.scoreBounds;
  if (bounds && !(predictedFinalScore >= bounds[0] && predictedFinalScore <= bounds[1])) {
    return failure(
      `The fitted asymptote ${predictedFinalScore.toPrecision(4)} lies outside the possible ` +
        `scores [${bounds[0]}, ${bounds[1]}]; the curve is not saturating yet`,
    );
  }
  return fit;
}

/** First whole epoch from which the fit stays within `tolerance` of its asymptote. */
function convergenceEpoch(
  fit: ScorePredictionFit,
  firstEpoch: number,
  horizonEpoch: number,
  tolerance: number,
): number | undefined {
  const start = Math.ceil(firstEpoch);
  const end = Math.floor(horizonEpoch);
  const within = (epoch: number) =>
    Math.abs(fittedScore(fit, epoch) - fit.predictedFinalScore) <= tolerance;
  if (!within(end)) return undefined;
  // Walk back from the horizon: the answer is just after the last epoch outside ε.
  let epoch = end;
  while (epoch > start && within(epoch - 1)) epoch--;
  return epoch;
}
