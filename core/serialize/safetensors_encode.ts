/**
 * Serialising host tensors to the safetensors format, laid out the way the reference
 * `safetensors` library lays it out, so a file written here is byte-identical to the one
 * PyTorch users would write for the same tensors and metadata.
 *
 * Layout: an 8-byte little-endian header length, a compact JSON header
 * (`__metadata__` first, then one `{dtype, shape, data_offsets}` entry per tensor)
 * padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back,
 * widest dtype first and by name within a dtype, which keeps every tensor aligned to its
 * element size within the file.
 *
 * @module
 */

import {
  dtypeInfo,
  HOST_IS_LITTLE_ENDIAN,
  type HostTensor,
  isSafetensorsDType,
  shapeSize,
} from "./host_tensor.ts";
import { SafetensorsFormatError } from "./safetensors_error.ts";

/** Tensors by name, as a `Map` (keeps any name safe) or a plain object. */
export type HostTensorDict =
  | ReadonlyMap<string, HostTensor>
  | Readonly<Record<string, HostTensor>>;

/** Free-form string pairs stored in the header under `__metadata__`. */
export type SafetensorsMetadata = Record<string, string>;

/** Key reserved by the format for metadata; no tensor may use it as its name. */
export const METADATA_KEY = "__metadata__";

const utf8 = new TextEncoder();

interface PlannedTensor {
  readonly name: string;
  readonly nameBytes: Uint8Array;
  readonly tensor: HostTensor;
  readonly rank: number;
}

/**
 * Serialises `tensors` (and optional `metadata`) to the bytes of a safetensors file.
 * Element bytes are copied as they are, so the arrays must hold exactly the elements of
 * their shape, in row-major order.
 *
 * @param tensors The tensors by name.
 * @param metadata String pairs for the header's `__metadata__`; omitted when undefined.
 * @param source Names what is being written in error messages (e.g. the target path).
 * @throws {SafetensorsFormatError} When a tensor cannot be represented: unsupported
 *   dtype, array type that does not match the dtype, element count that does not match
 *   the shape, the reserved name `__metadata__`, or non-string metadata.
 *
 * @example
 * ```ts
 * import { encodeSafetensors } from "./safetensors_encode.ts";
 * const bytes = encodeSafetensors(
 *   { "conv.bias": { dtype: "F32", shape: [2], data: new Float32Array([0.5, -1]) } },
 *   { format: "pt" },
 * );
 * ```
 */
export function encodeSafetensors(
  tensors: HostTensorDict,
  metadata?: Readonly<SafetensorsMetadata>,
  source: string = "tensors to encode",
): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new SafetensorsFormatError(source, "writing safetensors needs a little-endian host");
  }
  const planned = planTensors(tensors, source);
  const headerParts: string[] = [];
  if (metadata !== undefined) {
    headerParts.push(`"${METADATA_KEY}":${metadataJson(metadata, source)}`);
  }
  let dataLength = 0;
  for (const { name, tensor } of planned) {
    const begin = dataLength;
    dataLength += tensor.data.byteLength;
    headerParts.push(
      `${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(",")}],` +
        `"data_offsets":[${begin},${dataLength}]}`,
    );
  }
  const headerText = utf8.encode(`{${headerParts.join(",")}}`);
  // The reference writer pads with spaces so that the data section starts 8-byte aligned.
  const headerLength = Math.ceil(headerText.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(headerText, 8);
  out.fill(0x20, 8 + headerText.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const { tensor } of planned) {
    const { buffer, byteOffset, byteLength } = tensor.data;
    out.set(new Uint8Array(buffer, byteOffset, byteLength), cursor);
    cursor += byteLength;
  }
  return out;
}

/** Validates every tensor and puts them in file order. */
function planTensors(tensors: HostTensorDict, source: string): PlannedTensor[] {
  const entries: [string, HostTensor][] = tensors instanceof Map
    ? [...tensors.entries()]
    : Object.entries(tensors as Readonly<Record<string, HostTensor>>);
  const planned = entries.map(([name, tensor]): PlannedTensor => {
    validateTensor(name, tensor, source);
    return { name, nameBytes: utf8.encode(name), tensor, rank: dtypeInfo(tensor.dtype).rank };
  });
  planned.sort((a, b) => b.rank - a.rank || compareBytes(a.nameBytes, b.nameBytes));
  return planned;
}

function validateTensor(name: string, tensor: HostTensor, source: string): void {
  const fail = (problem: string): never => {
    throw new SafetensorsFormatError(source, `tensor ${JSON.stringify(name)}: ${problem}`);
  };
  if (name === METADATA_KEY) fail(`the name ${METADATA_KEY} is reserved for metadata`);
  if (typeof tensor !== "object" || tensor === null) fail("is not a {dtype, shape, data} object");
  const dtype: string = tensor.dtype;
  if (!isSafetensorsDType(dtype)) fail(`unsupported dtype ${JSON.stringify(dtype)}`);
  const { arrayType } = dtypeInfo(tensor.dtype);
  if (!(tensor.data instanceof (arrayType as unknown as typeof Uint8Array))) {
    const actual = (tensor.data as object | undefined)?.constructor?.name ?? typeof tensor.data;
    fail(`dtype ${dtype} must be carried by a ${arrayType.name}, got ${actual}`);
  }
  if (
    !Array.isArray(tensor.shape) ||
    !tensor.shape.every((extent) => Number.isSafeInteger(extent) && extent >= 0)
  ) {
    fail(`shape ${JSON.stringify(tensor.shape)} must be a list of non-negative integers`);
  }
  const expected = shapeSize(tensor.shape);
  if (tensor.data.length !== expected) {
    fail(`shape [${tensor.shape}] needs ${expected} elements, data has ${tensor.data.length}`);
  }
  if (tensor.dtype === "BOOL" && tensor.data.some((value) => value > 1)) {
    fail("BOOL data must hold only 0 and 1");
  }
}

function metadataJson(metadata: Readonly<SafetensorsMetadata>, source: string): string {
  const keys = Object.keys(metadata).sort((a, b) => compareBytes(utf8.encode(a), utf8.encode(b)));
  const parts = keys.map((key) => {
    const value: unknown = metadata[key];
    if (typeof value !== "string") {
      throw new SafetensorsFormatError(
        source,
        `metadata value for ${JSON.stringify(key)} must be a string, got ${typeof value}` +
          " (serialise structured values with JSON.stringify)",
      );
    }
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${parts.join(",")}}`;
}

/** Orders names as the reference library does: by their UTF-8 bytes. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
