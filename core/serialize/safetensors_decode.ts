/**
 * Parsing and validating safetensors bytes. Every inconsistency is reported as a
 * {@link SafetensorsFormatError} that names the source and the problem, before any
 * tensor is handed out; the checks follow the reference library's (the header must
 * describe the data section exactly: tensors back to back from offset 0 to its end).
 *
 * @module
 */

import {
  dtypeInfo,
  dtypeItemSize,
  HOST_IS_LITTLE_ENDIAN,
  type HostTensor,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from "./host_tensor.ts";
import { SafetensorsFormatError } from "./safetensors_error.ts";
import { METADATA_KEY, type SafetensorsMetadata } from "./safetensors_encode.ts";

/** Headers above this size are refused, as the reference library does (guards memory). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** One tensor as the header describes it. */
export interface SafetensorsEntry {
  /** Tensor name. */
  readonly name: string;
  /** Element type. */
  readonly dtype: SafetensorsDType;
  /** Extent of each axis; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Byte range `[begin, end)` within the data section (which follows the header). */
  readonly dataOffsets: readonly [number, number];
}

/** A parsed, validated header. */
export interface SafetensorsHeader {
  /** Byte length of the JSON header (the data section starts at `8 + headerByteLength`). */
  readonly headerByteLength: number;
  /** The tensors, in the order their data appears in the file. */
  readonly entries: readonly SafetensorsEntry[];
  /** The `__metadata__` pairs, or undefined when the file has none. */
  readonly metadata?: SafetensorsMetadata;
}

/** Everything a safetensors file holds. */
export interface SafetensorsContents {
  /** The tensors by name, in file order; each owns a fresh, aligned copy of its data. */
  readonly tensors: Map<string, HostTensor>;
  /** The `__metadata__` pairs, or undefined when the file has none. */
  readonly metadata?: SafetensorsMetadata;
}

/**
 * Parses and validates the header at the start of `bytes`. Only the header itself must be
 * present in `bytes`; `fileByteLength` gives the size of the whole file so the data
 * section can be checked against the header without reading it.
 *
 * @throws {SafetensorsFormatError} When the header is truncated, not UTF-8 JSON, or
 *   describes tensors that do not fit the data section exactly.
 *
 * @example
 * ```ts
 * import { parseSafetensorsHeader } from "./safetensors_decode.ts";
 * import { encodeSafetensors } from "./safetensors_encode.ts";
 * const bytes = encodeSafetensors({ x: { dtype: "U8", shape: [3], data: new Uint8Array(3) } });
 * parseSafetensorsHeader(bytes).entries[0].dataOffsets; // [0, 3]
 * ```
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  source: string = "safetensors data",
  fileByteLength: number = bytes.length,
): SafetensorsHeader {
  const fail = (problem: string): never => {
    throw new SafetensorsFormatError(source, problem);
  };
  if (fileByteLength < 8 || bytes.length < 8) {
    fail(
      `only ${Math.min(fileByteLength, bytes.length)} bytes long, shorter than the 8-byte ` +
        "header length every safetensors file starts with (truncated or not safetensors)",
    );
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    fail(
      `header length ${declared} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit ` +
        "(corrupt, or not a safetensors file)",
    );
  }
  const headerByteLength = Number(declared);
  if (8 + headerByteLength > fileByteLength) {
    fail(
      `header length ${headerByteLength} runs past the end of the file ` +
        `(${fileByteLength - 8} bytes follow the length field); the file is truncated or corrupt`,
    );
  }
  if (8 + headerByteLength > bytes.length) {
    fail(`only ${bytes.length} bytes given, the header needs ${8 + headerByteLength}`);
  }
  const header = parseHeaderJson(bytes.subarray(8, 8 + headerByteLength), fail);
  let metadata: SafetensorsMetadata | undefined;
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, fail));
  }
  entries.sort((a, b) =>
    a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]
  );
  checkDataLayout(entries, fileByteLength - 8 - headerByteLength, fail);
  return metadata === undefined ? { headerByteLength, entries } : {
    headerByteLength,
    entries,
    metadata,
  };
}

/**
 * Decodes the bytes of a whole safetensors file. Each tensor's data is copied into its
 * own buffer, so tensors at unaligned offsets load correctly and `bytes` may be dropped.
 *
 * @param bytes The whole file.
 * @param source Names the file in error messages (e.g. its path).
 * @throws {SafetensorsFormatError} When the bytes are not a valid safetensors file.
 *
 * @example
 * ```ts
 * import { decodeSafetensors } from "./safetensors_decode.ts";
 * import { encodeSafetensors } from "./safetensors_encode.ts";
 * const bytes = encodeSafetensors({ x: { dtype: "F32", shape: [], data: new Float32Array([2]) } });
 * decodeSafetensors(bytes).tensors.get("x")?.data; // Float32Array [2]
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string = "safetensors data",
): SafetensorsContents {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new SafetensorsFormatError(source, "reading safetensors needs a little-endian host");
  }
  const header = parseSafetensorsHeader(bytes, source);
  const dataStart = 8 + header.headerByteLength;
  const tensors = new Map<string, HostTensor>();
  for (const { name, dtype, shape, dataOffsets: [begin, end] } of header.entries) {
    // slice() copies into a fresh ArrayBuffer, which is aligned for every element type.
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    const data = dtypeInfo(dtype).view(copy.buffer, 0, (end - begin) / dtypeItemSize(dtype));
    tensors.set(name, { dtype, shape: [...shape], data } as HostTensor);
  }
  return header.metadata === undefined ? { tensors } : { tensors, metadata: header.metadata };
}

type Fail = (problem: string) => never;

function parseHeaderJson(headerBytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    fail("header is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${error instanceof Error ? error.message : error})`);
  }
  if (!isPlainObject(parsed)) fail("header must be a JSON object mapping names to tensors");
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown, fail: Fail): SafetensorsMetadata {
  if (!isPlainObject(value)) fail(`${METADATA_KEY} must be an object of strings`);
  const metadata: SafetensorsMetadata = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== "string") {
      fail(`${METADATA_KEY} value for ${JSON.stringify(key)} is not a string`);
    }
    // defineProperty keeps a key such as "__proto__" an ordinary entry.
    Object.defineProperty(metadata, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return metadata;
}

function parseEntry(name: string, value: unknown, fail: Fail): SafetensorsEntry {
  const label = `tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(value)) fail(`${label}: entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string") fail(`${label}: "dtype" is missing or not a string`);
  if (!isSafetensorsDType(dtype as string)) {
    fail(
      `${label}: unknown or unsupported dtype ${JSON.stringify(dtype)} ` +
        `(supported: ${SAFETENSORS_DTYPES.join(", ")})`,
    );
  }
  if (!isCountList(shape)) {
    fail(`${label}: "shape" must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!isCountList(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
    fail(
      `${label}: "data_offsets" must be [begin, end] with 0 <= begin <= end, ` +
        `got ${JSON.stringify(offsets)}`,
    );
  }
  const [begin, end] = offsets as number[];
  const itemSize = dtypeItemSize(dtype as SafetensorsDType);
  let byteLength = itemSize;
  for (const extent of shape as number[]) byteLength *= extent;
  if (!Number.isSafeInteger(byteLength)) fail(`${label}: shape [${shape}] is too large`);
  if (byteLength !== end - begin) {
    fail(
      `${label}: shape [${shape}] of ${dtype} needs ${byteLength} bytes, ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return {
    name,
    dtype: dtype as SafetensorsDType,
    shape: shape as number[],
    dataOffsets: [begin, end],
  };
}

/** Tensors must tile the data section exactly: no gaps, no overlaps, nothing left over. */
function checkDataLayout(entries: SafetensorsEntry[], dataLength: number, fail: Fail): void {
  for (const { name, dataOffsets: [, end] } of entries) {
    if (end > dataLength) {
      fail(
        `tensor ${JSON.stringify(name)}: data_offsets end at ${end}, past the end of the ` +
          `${dataLength}-byte data section; the file is truncated or its header is wrong`,
      );
    }
  }
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of entries) {
    const [begin, end] = entry.dataOffsets;
    const here = `tensor ${JSON.stringify(entry.name)} [${begin}, ${end}]`;
    if (begin < cursor && previous) {
      const [pBegin, pEnd] = previous.dataOffsets;
      fail(`${here} overlaps tensor ${JSON.stringify(previous.name)} [${pBegin}, ${pEnd}]`);
    }
    if (begin > cursor) fail(`${begin - cursor} unused bytes before ${here}`);
    cursor = end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    fail(
      `${dataLength - cursor} bytes after the last tensor are not described by the header ` +
        "(the file was altered or written incompletely)",
    );
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCountList(value: unknown): value is number[] {
  return Array.isArray(value) &&
    value.every((item) => Number.isSafeInteger(item) && (item as number) >= 0);
}
