/**
 * Reading and writing safetensors files, the weight format PyTorch and Hugging Face use:
 * an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
 * and byte range, then the raw little-endian data. Files written here are laid out as the
 * reference `safetensors` library lays them out, and writes are atomic.
 *
 * Tensors live on the host as {@link HostTensor}s; half-precision and bfloat16 data stay
 * as 16-bit patterns (see `half_float.ts` for conversions).
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, {
 *   "conv.weight": { dtype: "F32", shape: [1, 1, 1, 1, 2], data: new Float32Array([1, 2]) },
 * }, { epoch: "3" });
 * const { tensors, metadata } = await readSafetensors(path);
 * tensors.get("conv.weight")?.shape; // [1, 1, 1, 1, 2]
 * metadata?.epoch; // "3"
 * ```
 *
 * @module
 */

import { atomicWriteFile } from "./atomic_write.ts";
import {
  decodeSafetensors,
  MAX_SAFETENSORS_HEADER_BYTES,
  parseSafetensorsHeader,
  type SafetensorsContents,
  type SafetensorsHeader,
} from "./safetensors_decode.ts";
import {
  encodeSafetensors,
  type HostTensorDict,
  type SafetensorsMetadata,
} from "./safetensors_encode.ts";

export {
  decodeSafetensors,
  MAX_SAFETENSORS_HEADER_BYTES,
  parseSafetensorsHeader,
  type SafetensorsContents,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from "./safetensors_decode.ts";
export {
  encodeSafetensors,
  type HostTensorDict,
  METADATA_KEY,
  type SafetensorsMetadata,
} from "./safetensors_encode.ts";
export { SafetensorsFormatError } from "./safetensors_error.ts";
export {
  dtypeItemSize,
  type HostArray,
  type HostArrayByDType,
  type HostTensor,
  hostTensorToFloat32,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  shapeSize,
} from "./host_tensor.ts";

/**
 * Reads and validates a whole safetensors file.
 *
 * @throws {SafetensorsFormatError} When the file is not valid safetensors; the message
 *   starts with `path`.
 * @throws {Deno.errors.NotFound} When there is no file at `path`.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { b: { dtype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) } });
 * for (const [name, tensor] of (await readSafetensors(path)).tensors) {
 *   console.log(name, tensor.dtype, tensor.shape); // b BOOL [2]
 * }
 * ```
 */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await Deno.readFile(path), path);
}

/**
 * Writes `tensors` (and optional `metadata`) to `path` as a safetensors file, atomically:
 * an interrupted write leaves any previous file at `path` intact.
 *
 * @throws {SafetensorsFormatError} When a tensor cannot be represented (see
 *   `encodeSafetensors`); nothing is written then.
 *
 * @example
 * ```ts
 * import { writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { step: { dtype: "I64", shape: [], data: new BigInt64Array([7n]) } });
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: HostTensorDict,
  metadata?: Readonly<SafetensorsMetadata>,
): Promise<void> {
  await atomicWriteFile(path, encodeSafetensors(tensors, metadata, path));
}

/**
 * Reads and validates only the header of a safetensors file: names, dtypes, shapes and
 * metadata, without loading tensor data (cheap for large checkpoints).
 *
 * @throws {SafetensorsFormatError} When the header is invalid or does not match the file
 *   size.
 *
 * @example
 * ```ts
 * import { encodeSafetensors } from "./safetensors_encode.ts";
 * import { readSafetensorsHeader } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await Deno.writeFile(path, encodeSafetensors({}, { note: "empty" }));
 * (await readSafetensorsHeader(path)).metadata; // { note: "empty" }
 * ```
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await Deno.open(path, { read: true });
  try {
    const fileByteLength = (await file.stat()).size;
    const lengthField = await readUpTo(file, 8);
    let prefix = lengthField;
    if (lengthField.length === 8) {
      const declared = new DataView(lengthField.buffer).getBigUint64(0, true);
      // Let the parser report oversized or truncated headers; read only what can exist.
      const available = BigInt(fileByteLength - 8);
      const wanted = Number(declared < available ? declared : available);
      if (declared <= BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
        prefix = new Uint8Array(8 + wanted);
        prefix.set(lengthField);
        prefix.set(await readUpTo(file, wanted), 8);
      }
    }
    return parseSafetensorsHeader(prefix, path, fileByteLength);
  } finally {
    file.close();
  }
}

/** Reads up to `count` bytes, fewer only at end of file. */
async function readUpTo(file: Deno.FsFile, count: number): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const read = await file.read(out.subarray(filled));
    if (read === null) break;
    filled += read;
  }
  return out.subarray(0, filled);
}
