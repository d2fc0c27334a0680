/**
 * Small dense numerics for the score predictor: polynomial values and derivatives, a
 * Householder-QR least-squares solver, and the real roots of a denominator polynomial.
 *
 * @module
 */

/** Value of the polynomial with coefficients `coefficients` (constant first) at `x`. */
export function evaluatePolynomial(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (let power = coefficients.length - 1; power >= 0; power--) {
    value = value * x + coefficients[power];
  }
  return value;
}

/** Coefficients (constant first) of the derivative of a polynomial. */
export function derivative(coefficients: readonly number[]): number[] {
  return coefficients.slice(1).map((value, power) => value * (power + 1));
}

/**
 * Least-squares solution of `A·c ≈ b` (A row-major, rows × columns) by Householder QR, or
 * undefined when A is rank-deficient to working precision.
 */
export function solveLeastSquares(
  matrix: Float64Array,
  rows: number,
  columns: number,
  rightHandSide: Float64Array,
): Float64Array | undefined {
  const a = matrix.slice();
  const b = rightHandSide.slice();
  const diagonal = new Float64Array(columns);
  for (let column = 0; column < columns; column++) {
    let norm = 0;
    for (let row = column; row < rows; row++) norm = Math.hypot(norm, a[row * columns + column]);
    if (norm === 0) return undefined;
    const pivot = a[column * columns + column];
    // Reflect onto −sign(pivot)·norm so the subtraction below never cancels.
    const alpha = pivot > 0 ? -norm : norm;
    a[column * columns + column] = pivot - alpha;
    let reflectorSquared = 0;
    for (let row = column; row < rows; row++) reflectorSquared += a[row * columns + column] ** 2;
    for (let other = column + 1; other < columns; other++) {
      let dot = 0;
      for (let row = column; row < rows; row++) {
        dot += a[row * columns + column] * a[row * columns + other];
      }
      const factor = (2 * dot) / reflectorSquared;
      for (let row = column; row < rows; row++) {
        a[row * columns + other] -= factor * a[row * columns + column];
      }
    }
    let dot = 0;
    for (let row = column; row < rows; row++) dot += a[row * columns + column] * b[row];
    const factor = (2 * dot) / reflectorSquared;
    for (let row = column; row < rows; row++) b[row] -= factor * a[row * columns + column];
    diagonal[column] = alpha;
  }
  const largest = Math.max(...diagonal.map(Math.abs));
  if (diagonal.some((value) => Math.abs(value) <= 1e-12 * largest)) return undefined;
  const solution = new Float64Array(columns);
  for (let row = columns - 1; row >= 0; row--) {
    let sum = b[row];
    for (let column = row + 1; column < columns; column++) {
      sum -= a[row * columns + column] * solution[column];
    }
    solution[row] = sum / diagonal[row];
  }
  return solution;
}

/**
 * Roots of the denominator Q (constant first) at or after `from`, where the curve would blow
 * up: exact on [from, ∞) for degree ≤ 2. Above that, sign changes on a grid up to `horizon`,
 * plus `Infinity` when Q's sign at +∞ differs from its sign at `horizon` (a root lies beyond
 * the grid); a root of even multiplicity can then be missed.
 */
export function polesFrom(denominator: readonly number[], from: number, horizon: number): number[] {
  const degree = denominator.length - 1;
  const atOrAfter = (roots: number[]) => roots.filter((root) => root >= from);
  if (degree === 0) return [];
  if (degree === 1) {
    return denominator[1] === 0 ? [] : atOrAfter([-denominator[0] / denominator[1]]);
  }
  if (degree === 2 && denominator[2] === 0) {
    return polesFrom(denominator.slice(0, 2), from, horizon);
  }
  if (degree === 2) {
    const [c, b, a] = denominator;
    const discriminant = b * b - 4 * a * c;
    if (discriminant < 0) return [];
    // The stable pair of formulas: no cancellation between b and the square root.
    const q = -0.5 * (b + (b >= 0 ? 1 : -1) * Math.sqrt(discriminant));
    return atOrAfter(q === 0 ? [0] : [q / a, c / q]);
  }
  const samples = 2000;
  const roots: number[] = [];
  let previous = evaluatePolynomial(denominator, from);
  if (previous === 0) roots.push(from);
  for (let step = 1; step <= samples; step++) {
    const x = from + ((horizon - from) * step) / samples;
    const value = evaluatePolynomial(denominator, x);
    // A grid point that is exactly a root counts once, not again on the step after it.
    if (value === 0 || (previous !== 0 && Math.sign(value) !== Math.sign(previous))) {
      roots.push(x);
    }
    previous = value;
  }
  // Past the grid, Q keeps the sign of its leading coefficient: a different sign at the
  // horizon means one more root beyond it.
  const leadingSign = Math.sign(denominator.findLast((value) => value !== 0) ?? 0);
  if (previous !== 0 && leadingSign !== Math.sign(previous)) roots.push(Infinity);
  return roots;
}
