/**
 * Small helpers for writing WGSL text: scalar types and literals.
 *
 * @module
 */

/** Element types a tensor can hold (f16 reserved for later). */
export type DType = "f32" | "i32" | "u32";

/** Bytes per element of a dtype. */
export function bytesPerElement(_dtype: DType): number {
  return 4;
}

/** A WGSL literal of the given type, exact for any finite float32 value. */
export function literal(value: number, dtype: DType): string {
  if (dtype === "f32") {
    if (Number.isNaN(value)) return "bitcast<f32>(0x7fc00000u)";
    if (value === Infinity) return "bitcast<f32>(0x7f800000u)";
    if (value === -Infinity) return "bitcast<f32>(0xff800000u)";
    const f = Math.fround(value);
    if (Math.abs(f) > 3.4e38) {
      return f > 0 ? "bitcast<f32>(0x7f7fffffu)" : "bitcast<f32>(0xff7fffffu)";
    }
    const bits = new Uint32Array(new Float32Array([f]).buffer)[0];
    return `bitcast<f32>(${bits}u)`;
  }
  if (dtype === "i32") return `i32(${Math.trunc(value) | 0})`;
  return `${Math.trunc(value) >>> 0}u`;
}
