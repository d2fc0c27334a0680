/**
 * Host-side persistence: the safetensors weight format, 16-bit float conversions, and
 * crash-safe file writes.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./mod.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { w: { dtype: "F32", shape: [2], data: new Float32Array(2) } });
 * (await readSafetensors(path)).tensors.get("w")?.shape; // [2]
 * ```
 *
 * @module
 */

export { atomicWriteFile, atomicWriteTextFile } from "./atomic_write.ts";
export {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from "./half_float.ts";
export * from "./safetensors.ts";
