/**
 * Turning raw voxel bytes into typed arrays and back, for every format: element types,
 * byte order, channel interleaving, and the policy for NaN/Inf voxels.
 *
 * @module
 */

import { NonFiniteVoxelError, UnsupportedVolumeFormatError, VolumeFormatError } from "../errors.ts";
import type { VoxelArray } from "../volume.ts";

/** Element types a volume can be stored in (the `VoxelArray` kinds). */
export type VoxelType =
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "float32"
  | "float64";

/** Element types that may appear in files; 64-bit integers are read into `Float64Array`. */
export type StoredVoxelType = VoxelType | "int64" | "uint64";

/** What a reader does with NaN and ±Infinity voxels. */
export type NonFinitePolicy = "error" | "keep" | "zero";

/** Options every reader accepts. */
export interface ReadVolumeOptions {
  /**
   * NaN/Inf voxels: `"error"` (default) throws a {@link NonFiniteVoxelError} naming the file
   * and the count, `"keep"` keeps them, `"zero"` replaces them with 0. Training on a volume
   * with NaN silently poisons every loss, hence the strict default.
   */
  nonFinite?: NonFinitePolicy;
}

/** Bytes per element of each stored type. */
export const BYTES_PER_VOXEL: Record<StoredVoxelType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
  int64: 8,
  uint64: 8,
};

const CONSTRUCTORS: Record<VoxelType, new (buffer: ArrayBuffer) => VoxelArray> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const PLATFORM_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The element type of a typed array. */
export function voxelTypeOf(data: VoxelArray): VoxelType {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Float32Array) return "float32";
  return "float64";
}

function reverseEachElement(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let at = 0; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}

/**
 * Copies `count` elements of `type` starting at byte `offset` into a new typed array,
 * swapping bytes when the file's order differs from the platform's. The caller must have
 * checked that the bytes are there.
 */
export function decodeVoxels(
  path: string,
  bytes: Uint8Array,
  offset: number,
  count: number,
  type: StoredVoxelType,
  littleEndian: boolean,
): VoxelArray {
  const size = BYTES_PER_VOXEL[type];
  // slice() copies into a fresh, aligned buffer that the typed array can own.
  const copy = bytes.slice(offset, offset + count * size);
  if (copy.length !== count * size) {
    throw new VolumeFormatError(
      path,
      `expected ${count * size} bytes of voxels, found ${copy.length}`,
      "the file is truncated or its header is wrong",
    );
  }
  if (type === "int64" || type === "uint64") {
    return decodeWideIntegers(path, copy, type, littleEndian);
  }
  if (littleEndian !== PLATFORM_LITTLE_ENDIAN) reverseEachElement(copy, size);
  return new CONSTRUCTORS[type](copy.buffer);
}

function decodeWideIntegers(
  path: string,
  bytes: Uint8Array,
  type: "int64" | "uint64",
  littleEndian: boolean,
): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float64Array(bytes.length / 8);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  for (let n = 0; n < out.length; n++) {
    const value = type === "int64"
      ? view.getBigInt64(n * 8, littleEndian)
      : view.getBigUint64(n * 8, littleEndian);
    if (value > limit || value < -limit) {
      throw new UnsupportedVolumeFormatError(
        path,
        `${type} voxel ${value} does not fit a float64 exactly`,
        "convert the image to a 32-bit type first",
      );
    }
    out[n] = Number(value);
  }
  return out;
}

/** The bytes of a typed array in the requested byte order (always a copy). */
export function encodeVoxels(data: VoxelArray, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (littleEndian !== PLATFORM_LITTLE_ENDIAN) reverseEachElement(bytes, data.BYTES_PER_ELEMENT);
  return bytes;
}

type VoxelArrayConstructor = new (length: number) => VoxelArray;

/** Converts voxel-major data (channel fastest) to channel-major (one plane per channel). */
export function deinterleaveChannels(data: VoxelArray, channels: number): VoxelArray {
  if (channels === 1) return data;
  const voxels = data.length / channels;
  const out = new (data.constructor as VoxelArrayConstructor)(data.length);
  for (let channel = 0; channel < channels; channel++) {
    const base = channel * voxels;
    for (let voxel = 0, from = channel; voxel < voxels; voxel++, from += channels) {
      out[base + voxel] = data[from];
    }
  }
  return out;
}

/** Converts channel-major data to voxel-major (channel fastest); inverse of the above. */
export function interleaveChannels(data: VoxelArray, channels: number): VoxelArray {
  if (channels === 1) return data;
  const voxels = data.length / channels;
  const out = new (data.constructor as VoxelArrayConstructor)(data.length);
  for (let channel = 0; channel < channels; channel++) {
    const base = channel * voxels;
    for (let voxel = 0, to = channel; voxel < voxels; voxel++, to += channels) {
      out[to] = data[base + voxel];
    }
  }
  return out;
}

/**
 * Deinterleaves each of `groups` consecutive blocks separately: used when a file stores
 * several volumes (time points) one after the other, each with interleaved components.
 * Channel `g * components + c` is component `c` of block `g`.
 */
export function deinterleaveChannelGroups(
  data: VoxelArray,
  components: number,
  groups: number,
): VoxelArray {
  if (components === 1) return data;
  if (groups === 1) return deinterleaveChannels(data, components);
  const perGroup = data.length / groups;
  const out = new (data.constructor as VoxelArrayConstructor)(data.length);
  for (let group = 0; group < groups; group++) {
    const block = data.subarray(group * perGroup, (group + 1) * perGroup);
    out.set(deinterleaveChannels(block, components), group * perGroup);
  }
  return out;
}

/** Inverse of {@link deinterleaveChannelGroups}. */
export function interleaveChannelGroups(
  data: VoxelArray,
  components: number,
  groups: number,
): VoxelArray {
  if (components === 1) return data;
  if (groups === 1) return interleaveChannels(data, components);
  const perGroup = data.length / groups;
  const out = new (data.constructor as VoxelArrayConstructor)(data.length);
  for (let group = 0; group < groups; group++) {
    const block = data.subarray(group * perGroup, (group + 1) * perGroup);
    out.set(interleaveChannels(block, components), group * perGroup);
  }
  return out;
}

/**
 * Parses whitespace-separated numbers (ASCII-encoded voxels) into a typed array, checking
 * that there are enough of them.
 */
export function parseTextVoxels(
  path: string,
  text: string,
  count: number,
  type: StoredVoxelType,
): VoxelArray {
  const tokens = text.trim().split(/[\s,]+/).filter((token) => token.length > 0);
  if (tokens.length < count) {
    throw new VolumeFormatError(
      path,
      `expected ${count} text voxel values, found ${tokens.length}`,
      "the file is truncated or its header is wrong",
    );
  }
  const elementType: VoxelType = type === "int64" || type === "uint64" ? "float64" : type;
  const out = new CONSTRUCTORS[elementType](new ArrayBuffer(count * BYTES_PER_VOXEL[elementType]));
  for (let n = 0; n < count; n++) {
    const value = Number(tokens[n]);
    if (Number.isNaN(value) && !/^[+-]?nan$/i.test(tokens[n])) {
      throw new VolumeFormatError(
        path,
        `text voxel ${n} is ${JSON.stringify(tokens[n])}, not a number`,
      );
    }
    out[n] = value;
  }
  return out;
}

/** Applies the reader's NaN/Inf policy in place; integer arrays pass untouched. */
export function applyNonFinitePolicy(
  path: string,
  data: VoxelArray,
  policy: NonFinitePolicy = "error",
): void {
  if (policy === "keep" || !(data instanceof Float32Array || data instanceof Float64Array)) return;
  let count = 0;
  for (let n = 0; n < data.length; n++) {
    if (!Number.isFinite(data[n])) {
      count++;
      if (policy === "zero") data[n] = 0;
    }
  }
  if (count > 0 && policy === "error") throw new NonFiniteVoxelError(path, count);
}

/** Product of dimensions, rejecting anything that is not a positive safe integer. */
export function voxelCount(path: string, dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) {
    if (!Number.isSafeInteger(dim) || dim < 1) {
      throw new VolumeFormatError(
        path,
        `dimension ${dim} in [${dims.join(", ")}] is not a positive integer`,
        "the header is corrupt",
      );
    }
    count *= dim;
  }
  if (!Number.isSafeInteger(count) || count > 2 ** 32) {
    throw new UnsupportedVolumeFormatError(
      path,
      `${count} voxels [${dims.join(", ")}] are more than one array can hold`,
      "crop or split the image first",
    );
  }
  return count;
}
