/**
 * Tensors held in host memory, as they come out of and go into files: a safetensors
 * dtype name, a shape, and a flat row-major typed array. GPU tensors are built from
 * these; nothing here touches the GPU.
 *
 * @module
 */

import { bfloat16ToFloat32Array, float16ToFloat32Array } from "./half_float.ts";

/** The typed array that carries each supported safetensors dtype on the host. */
export interface HostArrayByDType {
  /** 64-bit float. */
  F64: Float64Array;
  /** 32-bit float. */
  F32: Float32Array;
  /** IEEE half precision, as raw 16-bit patterns (see `half_float.ts`). */
  F16: Uint16Array;
  /** bfloat16, as raw 16-bit patterns (see `half_float.ts`). */
  BF16: Uint16Array;
  /** 64-bit signed integer. */
  I64: BigInt64Array;
  /** 32-bit signed integer. */
  I32: Int32Array;
  /** 16-bit signed integer. */
  I16: Int16Array;
  /** 8-bit signed integer. */
  I8: Int8Array;
  /** 64-bit unsigned integer. */
  U64: BigUint64Array;
  /** 32-bit unsigned integer. */
  U32: Uint32Array;
  /** 16-bit unsigned integer. */
  U16: Uint16Array;
  /** 8-bit unsigned integer. */
  U8: Uint8Array;
  /** Boolean, one byte per element holding 0 or 1. */
  BOOL: Uint8Array;
}

/** A safetensors dtype name that this package reads and writes. */
export type SafetensorsDType = keyof HostArrayByDType;

/** Any typed array that can carry a {@link SafetensorsDType}. */
export type HostArray = HostArrayByDType[SafetensorsDType];

/**
 * A tensor in host memory: `data` holds the elements in row-major (C) order and has
 * exactly `shapeSize(shape)` elements (one for a scalar, shape `[]`). The type pairs each
 * dtype with its array, so `{ dtype: "F16", data: new Float32Array() }` does not compile;
 * switching on `dtype` narrows `data`.
 *
 * @example
 * ```ts
 * import type { HostTensor } from "./host_tensor.ts";
 * const bias: HostTensor<"F32"> = { dtype: "F32", shape: [2], data: new Float32Array([0, 1]) };
 * ```
 */
export type HostTensor<D extends SafetensorsDType = SafetensorsDType> = D extends SafetensorsDType
  ? {
    /** Element type, named as in safetensors headers. */
    dtype: D;
    /** Extent of each axis, outermost first; `[]` for a scalar. */
    shape: number[];
    /** The elements, row-major. */
    data: HostArrayByDType[D];
  }
  : never;

/** What the codec needs to know about one dtype. */
interface DTypeInfo {
  /** Bytes per element. */
  readonly itemSize: number;
  /** Builds the host array over a (suitably aligned) buffer. */
  readonly view: (buffer: ArrayBuffer, byteOffset: number, length: number) => HostArray;
  /** The typed-array class that must carry this dtype. */
  readonly arrayType: { readonly name: string; prototype: object };
  /**
   * Position in the reference library's dtype enum; files list data by descending rank,
   * which puts wide elements first and keeps every tensor naturally aligned.
   */
  readonly rank: number;
}

const DTYPE_INFO: Readonly<Record<SafetensorsDType, DTypeInfo>> = {
  BOOL: { itemSize: 1, rank: 0, arrayType: Uint8Array, view: (b, o, n) => new Uint8Array(b, o, n) },
  U8: { itemSize: 1, rank: 1, arrayType: Uint8Array, view: (b, o, n) => new Uint8Array(b, o, n) },
  I8: { itemSize: 1, rank: 2, arrayType: Int8Array, view: (b, o, n) => new Int8Array(b, o, n) },
  I16: { itemSize: 2, rank: 5, arrayType: Int16Array, view: (b, o, n) => new Int16Array(b, o, n) },
  U16: {
    itemSize: 2,
    rank: 6,
    arrayType: Uint16Array,
    view: (b, o, n) => new Uint16Array(b, o, n),
  },
  F16: {
    itemSize: 2,
    rank: 7,
    arrayType: Uint16Array,
    view: (b, o, n) => new Uint16Array(b, o, n),
  },
  BF16: {
    itemSize: 2,
    rank: 8,
    arrayType: Uint16Array,
    view: (b, o, n) => new Uint16Array(b, o, n),
  },
  I32: { itemSize: 4, rank: 9, arrayType: Int32Array, view: (b, o, n) => new Int32Array(b, o, n) },
  U32: {
    itemSize: 4,
    rank: 10,
    arrayType: Uint32Array,
    view: (b, o, n) => new Uint32Array(b, o, n),
  },
  F32: {
    itemSize: 4,
    rank: 11,
    arrayType: Float32Array,
    view: (b, o, n) => new Float32Array(b, o, n),
  },
  F64: {
    itemSize: 8,
    rank: 12,
    arrayType: Float64Array,
    view: (b, o, n) => new Float64Array(b, o, n),
  },
  I64: {
    itemSize: 8,
    rank: 13,
    arrayType: BigInt64Array,
    view: (b, o, n) => new BigInt64Array(b, o, n),
  },
  U64: {
    itemSize: 8,
    rank: 14,
    arrayType: BigUint64Array,
    view: (b, o, n) => new BigUint64Array(b, o, n),
  },
};

/** Every dtype this package reads and writes, in the reference library's enum order. */
export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = Object.freeze(
  (Object.keys(DTYPE_INFO) as SafetensorsDType[]).sort((a, b) =>
    DTYPE_INFO[a].rank - DTYPE_INFO[b].rank
  ),
);

/** Whether `name` is a dtype this package supports. */
export function isSafetensorsDType(name: string): name is SafetensorsDType {
  return Object.hasOwn(DTYPE_INFO, name);
}

/** Returns the codec facts for a dtype (internal to `core/serialize`). */
export function dtypeInfo(dtype: SafetensorsDType): DTypeInfo {
  return DTYPE_INFO[dtype];
}

/**
 * Bytes per element of `dtype`.
 *
 * @example
 * ```ts
 * import { dtypeItemSize } from "./host_tensor.ts";
 * dtypeItemSize("BF16"); // 2
 * ```
 */
export function dtypeItemSize(dtype: SafetensorsDType): number {
  return DTYPE_INFO[dtype].itemSize;
}

/**
 * Number of elements a tensor of `shape` holds (1 for a scalar, 0 if any axis is 0).
 *
 * @example
 * ```ts
 * import { shapeSize } from "./host_tensor.ts";
 * shapeSize([2, 3, 4]); // 24
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const extent of shape) size *= extent;
  return size;
}

/**
 * Returns the tensor's elements as float32 values, the form GPU tensors are uploaded in.
 * Half and bfloat16 patterns are decoded exactly; other types are converted to the
 * nearest float32 (64-bit integers by way of a JavaScript number). A `F32` tensor's own array is returned without copying.
 *
 * @example
 * ```ts
 * import { hostTensorToFloat32 } from "./host_tensor.ts";
 * hostTensorToFloat32({ dtype: "F16", shape: [1], data: new Uint16Array([0x3c00]) }); // [1]
 * ```
 */
export function hostTensorToFloat32(tensor: HostTensor): Float32Array {
  switch (tensor.dtype) {
    case "F32":
      return tensor.data;
    case "F16":
      return float16ToFloat32Array(tensor.data);
    case "BF16":
      return bfloat16ToFloat32Array(tensor.data);
    case "I64":
    case "U64": {
      const out = new Float32Array(tensor.data.length);
      for (let i = 0; i < tensor.data.length; i++) out[i] = Number(tensor.data[i]);
      return out;
    }
    default:
      return Float32Array.from(tensor.data);
  }
}

/**
 * Whether this machine stores numbers little-endian, as safetensors files do. The codec
 * copies element bytes verbatim, which is only correct on such hosts (all platforms Deno
 * ships for are).
 */
export const HOST_IS_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
