/**
 * The one tensor type: a shape, a dtype and pooled GPU storage. Host data crosses only at
 * `Tensor.from…` and `await tensor.read()`.
 *
 * @module
 */

import { acquireBuffer, releaseBuffer } from "./buffer_pool.ts";
import { readBuffer, writeBuffer } from "./command_queue.ts";
import { gpu } from "./device.ts";
import { track, untrack } from "./scope.ts";
import { contiguousStrides, elementCount } from "../shaders/elementwise.ts";
import type { DType } from "../shaders/wgsl.ts";

import type { BackwardOptions } from "./autograd.ts";

export type { DType };

let backwardImplementation: ((root: Tensor, options?: BackwardOptions) => void) | undefined;

/** Installs the autograd walk behind `Tensor.backward` (done by `core/ops/backward.ts`). */
export function setBackwardImplementation(
  fn: (root: Tensor, options?: BackwardOptions) => void,
): void {
  backwardImplementation = fn;
}

/** Host arrays matching each dtype. */
export type HostArray = Float32Array | Int32Array | Uint32Array;

/** Raised when a tensor is used after it was disposed. */
export class DisposedTensorError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DisposedTensorError";
  }
}

/** A reference-counted GPU buffer that one or more tensors (views) read. */
export class Storage {
  /** The pooled buffer. */
  readonly buffer: GPUBuffer;
  /** Bytes in use (the buffer may be larger: size classes). */
  readonly bytes: number;
  #refs = 1;

  /** Borrows a buffer for `bytes` bytes (`forHostWrite` when the host fills it). */
  constructor(bytes: number, forHostWrite = false) {
    this.bytes = bytes;
    this.buffer = acquireBuffer(Math.max(4, bytes), undefined, forHostWrite);
  }

  /** True while some owner still holds the storage. */
  get alive(): boolean {
    return this.#refs > 0;
  }

  /** Adds an owner. */
  retain(): void {
    if (this.#refs <= 0) throw new DisposedTensorError("storage already released");
    this.#refs++;
  }

  /** Drops an owner; the buffer returns to the pool when none remain. */
  release(): void {
    if (this.#refs <= 0) return;
    if (--this.#refs === 0) releaseBuffer(this.buffer);
  }
}

/**
 * A node of the autograd graph: how to turn the gradient of an op's output into gradients
 * of its inputs, and which storages it keeps alive for that.
 */
export class GradNode {
  /** Op name, for error messages. */
  readonly op: string;
  /** The op's inputs (gradients are returned in this order). */
  readonly inputs: readonly Tensor[];
  /** Computes input gradients from the output gradient (undefined where not needed). */
  readonly backward: (grad: Tensor) => ReadonlyArray<Tensor | undefined>;
  #saved: Storage[] = [];
  #refs = 1;
  #freed = false;

  /** Creates a node; `saved` tensors' storage stays alive until the node is freed. */
  constructor(
    op: string,
    inputs: readonly Tensor[],
    backward: (grad: Tensor) => ReadonlyArray<Tensor | undefined>,
    saved: readonly Tensor[],
  ) {
    this.op = op;
    this.inputs = inputs;
    this.backward = backward;
    for (const t of saved) {
      t.storage.retain();
      this.#saved.push(t.storage);
    }
    for (const t of inputs) t.node?.retain();
  }

  /** True after backward ran through this node (its saved tensors are gone). */
  get freed(): boolean {
    return this.#freed;
  }

  /** Adds an owner (the output tensor, or a downstream node). */
  retain(): void {
    this.#refs++;
  }

  /** Drops an owner; the last one frees saved storage and releases upstream nodes. */
  release(): void {
    if (--this.#refs > 0) return;
    this.freeSaved();
    for (const t of this.inputs) t.node?.release();
  }

  /** Frees the tensors saved for backward (after backward, or when unreachable). */
  freeSaved(): void {
    if (this.#freed) return;
    this.#freed = true;
    for (const s of this.#saved) s.release();
    this.#saved = [];
  }
}

/** A tensor on the GPU: contiguous, row-major, of one dtype. */
export class Tensor {
  /** Extent of each axis. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** The storage this tensor reads (shared by reshaped views). */
  readonly storage: Storage;
  /** Whether gradients flow to this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | undefined;
  /** The op that produced this tensor, when recorded for autograd. */
  node: GradNode | undefined;
  #disposed = false;
  #kept = false;

  /** Wraps storage; prefer the static constructors and ops. */
  constructor(shape: readonly number[], dtype: DType, storage?: Storage) {
    for (const s of shape) {
      if (!Number.isInteger(s) || s < 0) throw new RangeError(`invalid shape [${shape}]`);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = elementCount(shape);
    this.storage = storage ?? new Storage(this.size * 4);
    this.requiresGrad = false;
    track(this);
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** Row-major strides of the shape, in elements. */
  get strides(): number[] {
    return contiguousStrides(this.shape);
  }

  /** The GPU buffer behind the tensor; throws if the tensor was disposed. */
  get buffer(): GPUBuffer {
    if (!this.storage.alive) {
      throw new DisposedTensorError(`tensor [${this.shape}] ${this.dtype} was disposed`);
    }
    return this.storage.buffer;
  }

  /** True once `dispose()` ran. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** True when marked with `keep()`: scopes leave it alone. */
  get kept(): boolean {
    return this.#kept;
  }

  /** Marks the tensor to survive every enclosing scope; returns it. */
  keep(): this {
    this.#kept = true;
    untrack(this);
    return this;
  }

  /** Releases the tensor's storage (and its gradient); later use throws. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.storage.release();
    // The node stays reachable for backward from downstream tensors; only our hold ends.
    this.node?.release();
    this.grad?.dispose();
    this.grad = undefined;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires them and
   * adds them to each leaf's `.grad` (see `backward` in `core/ops/backward.ts`).
   */
  backward(options?: BackwardOptions): void {
    if (!backwardImplementation) {
      throw new Error("autograd is not loaded: import from core/mod.ts");
    }
    backwardImplementation(this, options);
  }

  /** Copies the data to the host (one GPU round trip). */
  async read(): Promise<HostArray> {
    const bytes = await readBuffer(this.buffer, 0, this.size * 4);
    return hostView(bytes, this.dtype);
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new RangeError(`item() needs one element, shape is [${this.shape}]`);
    return (await this.read())[0];
  }

  /** Overwrites the contents from host data of the same size (in queue order). */
  write(data: ArrayLike<number>): void {
    if (data.length !== this.size) {
      throw new RangeError(`write: ${data.length} values for a tensor of ${this.size}`);
    }
    writeBuffer(this.buffer, 0, toHost(data, this.dtype));
  }

  /** A tensor from host values; `shape` defaults to one axis of `data.length`. */
  static from(data: ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
    const kind = dtype ?? inferDtype(data);
    const s = shape ?? [data.length];
    if (elementCount(s) !== data.length) {
      throw new RangeError(`${data.length} values do not fill shape [${s}]`);
    }
    gpu();
    const t = new Tensor(s, kind, new Storage(elementCount(s) * 4, true));
    if (data.length) writeBuffer(t.storage.buffer, 0, toHost(data, kind), true);
    return t;
  }

  /** A float32 scalar (shape []). */
  static scalar(value: number, dtype: DType = "f32"): Tensor {
    return Tensor.from([value], [], dtype);
  }

  /** Describes the tensor. */
  toString(): string {
    return `Tensor([${this.shape}], ${this.dtype}${this.requiresGrad ? ", requiresGrad" : ""})`;
  }
}

function inferDtype(data: ArrayLike<number>): DType {
  if (data instanceof Int32Array) return "i32";
  if (data instanceof Uint32Array) return "u32";
  return "f32";
}

/** Copies host values into the typed array matching a dtype (no copy when it already is). */
export function toHost(data: ArrayLike<number>, dtype: DType): HostArray {
  if (dtype === "f32") return data instanceof Float32Array ? data : Float32Array.from(data);
  if (dtype === "i32") return data instanceof Int32Array ? data : Int32Array.from(data);
  return data instanceof Uint32Array ? data : Uint32Array.from(data);
}

function hostView(bytes: ArrayBuffer, dtype: DType): HostArray {
  if (dtype === "f32") return new Float32Array(bytes);
  if (dtype === "i32") return new Int32Array(bytes);
  return new Uint32Array(bytes);
}
