/**
 * WGSL functions of the activations that need more than one expression: erf (for exact
 * GELU) and both GELU forms with their derivatives.
 *
 * erf uses its Taylor series for |x| < 0.5 (keeps relative accuracy near 0) and the
 * Abramowitz–Stegun rational approximation 7.1.26 of erfc elsewhere (absolute error
 * ≤ 1.5·10⁻⁷). The normal CDF is written through erfc so that its left tail does not
 * cancel (1 + erf(x) for x ≪ 0).
 *
 * @module
 */

/**
 * WGSL: `erf_f32(x)`, `erfc_pos(a)` (a ≥ 0), `normal_cdf(x)`, `gelu_exact(x)`,
 * `gelu_exact_grad(x)`, `gelu_tanh(x)`, `gelu_tanh_grad(x)`.
 */
export const ACTIVATIONS_WGSL = `
fn erfc_pos(a: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
    t * (-1.453152027 + t * 1.061405429))));
  return poly * exp(-a * a);
}
fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let x2 = x * x;
    let series = 1.0 + x2 * (-1.0 / 3.0 + x2 * (1.0 / 10.0 + x2 * (-1.0 / 42.0 +
      x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0)))));
    return 1.1283791670955126 * x * series;
  }
  return sign(x) * (1.0 - erfc_pos(a));
}
fn normal_cdf(x: f32) -> f32 {
  let u = x * 0.7071067811865476;
  if (abs(u) < 0.5) { return 0.5 + 0.5 * erf_f32(u); }
  if (u < 0.0) { return 0.5 * erfc_pos(-u); }
  return 1.0 - 0.5 * erfc_pos(u);
}
fn gelu_exact(x: f32) -> f32 {
  return x * normal_cdf(x);
}
fn gelu_exact_grad(x: f32) -> f32 {
  return normal_cdf(x) + x * 0.3989422804014327 * exp(-0.5 * x * x);
}
fn gelu_tanh_gate(x: f32) -> f32 {
  // 0.5·(1 + tanh(u)) = sigmoid(2u): no cancellation for u ≪ 0.
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 1.0 / (1.0 + exp(-2.0 * u));
}
fn gelu_tanh(x: f32) -> f32 {
  return x * gelu_tanh_gate(x);
}
fn gelu_tanh_grad(x: f32) -> f32 {
  let s = gelu_tanh_gate(x);
  let du = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x);
  return s + x * 2.0 * s * (1.0 - s) * du;
}
`;
