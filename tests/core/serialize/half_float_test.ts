import assert from "node:assert/strict";
import {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from "../../../core/serialize/half_float.ts";

/** Deterministic float32 values spread over every exponent, with both signs. */
function sampleFloat32Bits(count: number): Uint32Array {
  const bits = new Uint32Array(count);
  let state = 0x9e3779b9;
  for (let i = 0; i < count; i++) {
    // xorshift32: cheap, reproducible, covers all bit patterns.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bits[i] = state >>> 0;
  }
  return bits;
}

Deno.test("float16 decoding is exact for all 65536 patterns (checked against Float16Array)", () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const reference = new Float16Array(all.buffer);
  const decoded = float16ToFloat32Array(all);
  for (let i = 0; i < 65536; i++) {
    if (Number.isNaN(reference[i])) assert.ok(Number.isNaN(decoded[i]), `pattern ${i}`);
    else assert.ok(Object.is(decoded[i], reference[i]), `pattern ${i.toString(16)}`);
  }
});

Deno.test("float16 encoding inverts decoding for every non-NaN pattern", () => {
  for (let bits = 0; bits < 65536; bits++) {
    const value = float16BitsToFloat32(bits);
    if (Number.isNaN(value)) {
      assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(value))));
    } else assert.equal(float32ToFloat16Bits(value), bits);
  }
});

Deno.test("float16 encoding rounds to nearest even like Float16Array on random float32", () => {
  const floats = new Float32Array(sampleFloat32Bits(200_000).buffer);
  const ours = float32ArrayToFloat16(floats);
  const reference = new Uint16Array(Float16Array.from(floats).buffer);
  for (let i = 0; i < floats.length; i++) {
    if (Number.isNaN(floats[i])) assert.ok(Number.isNaN(float16BitsToFloat32(ours[i])));
    else assert.equal(ours[i], reference[i], `value ${floats[i]}`);
  }
});

Deno.test("float16 edge cases: ties, subnormals, overflow, signed zero", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2.5, 0xc100],
    [65504, 0x7bff], // largest finite half
    [65519.99, 0x7bff], // just under the rounding boundary
    [65520, 0x7c00], // tie at the boundary rounds to even: Infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exact tie with zero rounds to even (zero)
    [2 ** -25 * 1.5, 0x0001],
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and the next half: even is 1
    [1 + 3 * 2 ** -11, 0x3c02], // tie, rounds up to even
  ];
  for (const [value, bits] of cases) {
    assert.equal(float32ToFloat16Bits(value), bits, `value ${value}`);
  }
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
});

Deno.test("bfloat16 decoding widens the pattern; encoding rounds to nearest even", () => {
  assert.equal(float32ToBfloat16Bits(1), 0x3f80);
  assert.equal(bfloat16BitsToFloat32(0x3f80), 1);
  assert.equal(bfloat16BitsToFloat32(0xc020), -2.5);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even pattern (1).
  assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80);
  assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(float32ToBfloat16Bits(3.4028234663852886e38), 0x7f80); // rounds to Infinity
  assert.ok(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(NaN))));
  const patterns = sampleFloat32Bits(50_000);
  const floats = new Float32Array(patterns.buffer);
  const bits = float32ArrayToBfloat16(floats);
  for (let i = 0; i < floats.length; i++) {
    const value = floats[i];
    // Reference: pick the nearer of the two neighbouring patterns, the even one on a tie.
    const below = patterns[i] >>> 16;
    const above = below + 1;
    const distanceBelow = Math.abs(value - bfloat16BitsToFloat32(below));
    const distanceAbove = Math.abs(bfloat16BitsToFloat32(above) - value);
    if (!Number.isFinite(distanceBelow) || !Number.isFinite(distanceAbove)) continue;
    const nearest = distanceBelow < distanceAbove
      ? below
      : distanceAbove < distanceBelow
      ? above
      : below % 2 === 0
      ? below
      : above;
    assert.equal(bits[i], nearest & 0xffff, `value ${value}`);
  }
  assert.deepEqual([...bfloat16ToFloat32Array(new Uint16Array([0x3f80, 0xc020]))], [1, -2.5]);
});
