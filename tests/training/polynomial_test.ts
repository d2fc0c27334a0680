import { strict as assert } from "node:assert";
import {
  derivative,
  evaluatePolynomial,
  polesFrom,
  solveLeastSquares,
} from "../../training/polynomial.ts";

Deno.test("polynomials: values by Horner and derivatives, constant term first", () => {
  // 2 − 3x + x³
  const p = [2, -3, 0, 1];
  assert.equal(evaluatePolynomial(p, 2), 4);
  assert.deepEqual(derivative(p), [-3, 0, 3]);
  assert.equal(evaluatePolynomial([], 5), 0);
});

Deno.test("least squares by QR recovers a line through noisy points and refuses rank deficiency", () => {
  // y = 1.5 + 0.25x + ε with ε summing to zero against both columns of [1, x].
  const xs = [0, 1, 2, 3, 4];
  const noise = [0.1, -0.2, 0.2, -0.2, 0.1];
  const a = new Float64Array(xs.flatMap((x) => [1, x]));
  const b = new Float64Array(xs.map((x, i) => 1.5 + 0.25 * x + noise[i]));
  const c = solveLeastSquares(a, 5, 2, b)!;
  assert.ok(Math.abs(c[0] - 1.5) < 1e-12 && Math.abs(c[1] - 0.25) < 1e-12, `${c}`);
  // Two equal columns: no unique solution.
  const singular = new Float64Array(xs.flatMap((x) => [x, x]));
  assert.equal(solveLeastSquares(singular, 5, 2, b), undefined);
});

Deno.test("poles: exact roots of linear and quadratic denominators at or after a point", () => {
  assert.deepEqual(polesFrom([1], 0, 10), []);
  assert.deepEqual(polesFrom([-2, 1], 0, 10), [2]);
  assert.deepEqual(polesFrom([-2, 1], 3, 10), []);
  // (x − 1)(x − 4) = 4 − 5x + x²
  assert.deepEqual(polesFrom([4, -5, 1], 0, 10).sort((p, q) => p - q), [1, 4]);
  assert.deepEqual(polesFrom([1, 0, 1], 0, 10), []);
  // A cubic with one real root at 3: (x − 3)(x² + 1) = −3 + x − 3x² + x³, found on the grid.
  const cubic = polesFrom([-3, 1, -3, 1], 0, 10);
  assert.equal(cubic.length, 1);
  assert.ok(Math.abs(cubic[0] - 3) < 0.01, `${cubic}`);
  // (x − 20)(x² + 1) = −20 + x − 20x² + x³: its root lies beyond a horizon of 10.
  assert.deepEqual(polesFrom([-20, 1, -20, 1], 0, 10), [Infinity]);
});
