/**
 * Counter-based random numbers: value i of a draw is a pure function of (key, counter + i),
 * so results are reproducible from a seed and independent of how work is split.
 * The mixing function is the PCG output permutation applied twice, keyed by the seed.
 *
 * @module
 */

/** WGSL functions `rng_u32(key, counter)`, `rng_uniform(...)` in [0, 1), `rng_normal(key, c)` (uses counters c and c + 1). */
export const RANDOM_WGSL = `
fn pcg_mix(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
fn rng_u32(key: u32, counter: u32) -> u32 {
  return pcg_mix(pcg_mix(counter) ^ key);
}
fn rng_uniform(key: u32, counter: u32) -> f32 {
  return f32(rng_u32(key, counter) >> 8u) * 5.9604644775390625e-8;
}
fn rng_normal(key: u32, counter: u32) -> f32 {
  let u1 = (f32(rng_u32(key, counter) >> 8u) + 1.0) * 5.9604644775390625e-8;
  let u2 = f32(rng_u32(key, counter + 1u) >> 8u) * 5.9604644775390625e-8;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
`;

/** The same mixing function on the host (for keys, and for tests). */
export function pcgMix(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** Host version of `rng_u32`. */
export function rngU32(key: number, counter: number): number {
  return pcgMix((pcgMix(counter >>> 0) ^ key) >>> 0);
}
