/**
 * Conversions between 32-bit floats and the two 16-bit float formats found in
 * checkpoints: IEEE 754 half precision (`F16`) and bfloat16 (`BF16`). Both are carried
 * on the host as raw 16-bit patterns in a `Uint16Array`, because JavaScript has no
 * arithmetic on them; these helpers turn the patterns into numbers and back.
 *
 * Rounding is to nearest, ties to even, as PyTorch's `tensor.half()` and
 * `tensor.bfloat16()` do, so a value converted here has the same bits as the one
 * PyTorch stores.
 *
 * @module
 */

// One shared scratch word to reinterpret float32 bits without allocating per value.
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

function float32Bits(value: number): number {
  scratchFloat[0] = value;
  return scratchBits[0];
}

/**
 * Rounds `value` to float32, then to the nearest half-precision value, and returns its
 * 16-bit pattern. Overflow gives ±Infinity, tiny values become subnormals or ±0, NaN
 * stays NaN.
 *
 * @example
 * ```ts
 * import { float32ToFloat16Bits } from "./half_float.ts";
 * float32ToFloat16Bits(1); // 0x3c00
 * ```
 */
export function float32ToFloat16Bits(value: number): number {
  const bits = float32Bits(value);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Keep NaN a NaN even when its payload lives only in the low bits that are cut off.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Below 2^-25 even the smallest subnormal is more than twice as large: round to zero.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShiftRightEven(significand, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  return sign | roundShiftRightEven((halfExponent << 23) | mantissa, 13);
}

/** Shifts `value` right by `shift` bits, rounding to nearest with ties to even. */
function roundShiftRightEven(value: number, shift: number): number {
  const kept = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return remainder > halfway || (remainder === halfway && (kept & 1) === 1) ? kept + 1 : kept;
}

/**
 * Returns the value of a half-precision 16-bit pattern (exact: every half is a float32).
 *
 * @example
 * ```ts
 * import { float16BitsToFloat32 } from "./half_float.ts";
 * float16BitsToFloat32(0xc100); // -2.5
 * ```
 */
export function float16BitsToFloat32(bits: number): number {
  const negative = (bits & 0x8000) !== 0;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  let magnitude: number;
  if (exponent === 0) magnitude = mantissa * 2 ** -24;
  else if (exponent === 0x1f) magnitude = mantissa === 0 ? Infinity : NaN;
  else magnitude = (1024 + mantissa) * 2 ** (exponent - 25);
  return negative ? -magnitude : magnitude;
}

/**
 * Rounds `value` to float32, then to the nearest bfloat16 value, and returns its 16-bit
 * pattern.
 *
 * @example
 * ```ts
 * import { float32ToBfloat16Bits } from "./half_float.ts";
 * float32ToBfloat16Bits(1); // 0x3f80
 * ```
 */
export function float32ToBfloat16Bits(value: number): number {
  const bits = float32Bits(value);
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40;
  // Adding just under half an ulp (plus the kept low bit) rounds ties to even.
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Returns the value of a bfloat16 16-bit pattern (exact: bfloat16 is truncated float32).
 *
 * @example
 * ```ts
 * import { bfloat16BitsToFloat32 } from "./half_float.ts";
 * bfloat16BitsToFloat32(0x3f80); // 1
 * ```
 */
export function bfloat16BitsToFloat32(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0];
}

/**
 * Converts float values to half-precision patterns, element by element.
 *
 * @example
 * ```ts
 * import { float32ArrayToFloat16 } from "./half_float.ts";
 * float32ArrayToFloat16(new Float32Array([0.5, -1])); // Uint16Array [0x3800, 0xbc00]
 * ```
 */
export function float32ArrayToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

/**
 * Converts half-precision patterns to a `Float32Array`, element by element.
 *
 * @example
 * ```ts
 * import { float16ToFloat32Array } from "./half_float.ts";
 * float16ToFloat32Array(new Uint16Array([0x3800])); // Float32Array [0.5]
 * ```
 */
export function float16ToFloat32Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}

/**
 * Converts float values to bfloat16 patterns, element by element.
 *
 * @example
 * ```ts
 * import { float32ArrayToBfloat16 } from "./half_float.ts";
 * float32ArrayToBfloat16(new Float32Array([1])); // Uint16Array [0x3f80]
 * ```
 */
export function float32ArrayToBfloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16Bits(values[i]);
  return out;
}

/**
 * Converts bfloat16 patterns to a `Float32Array`, element by element.
 *
 * @example
 * ```ts
 * import { bfloat16ToFloat32Array } from "./half_float.ts";
 * bfloat16ToFloat32Array(new Uint16Array([0x3f80])); // Float32Array [1]
 * ```
 */
export function bfloat16ToFloat32Array(bits: Uint16Array): Float32Array {
  // Widening each pattern into the high half of a float32 word is the whole conversion.
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i] << 16;
  return new Float32Array(words.buffer);
}
