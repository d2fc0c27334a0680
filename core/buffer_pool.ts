/**
 * Pooled GPU storage buffers. WebGPU buffers are not garbage-collected in time, so tensors
 * borrow buffers from size classes and return them. A buffer returned while commands are
 * still being recorded may be reused at once by later GPU work (commands run in order),
 * but not for a host upload: `queue.writeBuffer` lands before the recorded commands run,
 * so uploads only take buffers that were returned before the last submit.
 *
 * @module
 */

import { gpu } from "./device.ts";

const MIN_BYTES = 256;
const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/** Counters of GPU memory held by tensors and by the pool, used by leak tests. */
export interface MemoryStats {
  /** Buffers currently lent out (to tensors, staging, parameters). */
  liveBuffers: number;
  /** Bytes of those buffers (size-class rounded). */
  liveBytes: number;
  /** Buffers waiting in the pool for reuse. */
  pooledBuffers: number;
  /** Bytes waiting in the pool. */
  pooledBytes: number;
  /** Buffers created since start (a steady loop stops increasing this). */
  createdBuffers: number;
}

/** Rounds a byte count up to its size class: four classes per power of two, at least 256. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const octave = 2 ** Math.floor(Math.log2(bytes));
  const step = octave / 4;
  return Math.ceil(bytes / step) * step;
}

const free = new Map<string, GPUBuffer[]>();
/** Returned since the last submit: fine for GPU-written outputs, not for host uploads. */
const dirty = new Map<string, GPUBuffer[]>();
let dirtyCount = 0;
const stats: MemoryStats = {
  liveBuffers: 0,
  liveBytes: 0,
  pooledBuffers: 0,
  pooledBytes: 0,
  createdBuffers: 0,
};
/** Keeps the pool from hoarding: beyond this many idle bytes, returned buffers are destroyed. */
let maxPooledBytes = 2 ** 31;

/**
 * Borrows a buffer of at least `bytes` bytes with the given usage (storage by default).
 * Pass `forHostWrite` when the host will write it with `queue.writeBuffer`.
 */
export function acquireBuffer(
  bytes: number,
  usage: number = STORAGE_USAGE,
  forHostWrite = false,
): GPUBuffer {
  const size = sizeClass(bytes);
  const key = `${usage}:${size}`;
  let buffer = forHostWrite ? undefined : dirty.get(key)?.pop();
  if (buffer) dirtyCount--;
  else buffer = free.get(key)?.pop();
  if (buffer) {
    stats.pooledBuffers--;
    stats.pooledBytes -= size;
  } else {
    buffer = gpu().device.createBuffer({ size, usage });
    stats.createdBuffers++;
  }
  stats.liveBuffers++;
  stats.liveBytes += size;
  return buffer;
}

/** Returns a borrowed buffer to the pool. */
export function releaseBuffer(buffer: GPUBuffer): void {
  stats.liveBuffers--;
  stats.liveBytes -= buffer.size;
  if (stats.pooledBytes + buffer.size > maxPooledBytes) {
    // Destroying is deferred by WebGPU until queued work that uses the buffer is done.
    buffer.destroy();
    return;
  }
  const key = `${buffer.usage}:${buffer.size}`;
  let list = dirty.get(key);
  if (!list) dirty.set(key, list = []);
  list.push(buffer);
  dirtyCount++;
  stats.pooledBuffers++;
  stats.pooledBytes += buffer.size;
}

/** Called by the command queue after a submit: every returned buffer is now clean. */
export function recycleDeferredBuffers(): void {
  for (const [key, buffers] of dirty) {
    let list = free.get(key);
    if (!list) free.set(key, list = []);
    list.push(...buffers);
  }
  dirty.clear();
  dirtyCount = 0;
}

/** True while some returned buffers were released since the last submit. */
export function hasDeferredBuffers(): boolean {
  return dirtyCount > 0;
}

/** Destroys every idle pooled buffer (for example between experiments). */
export function trimPool(): void {
  for (const pool of [free, dirty]) {
    for (const list of pool.values()) for (const buffer of list) buffer.destroy();
    pool.clear();
  }
  dirtyCount = 0;
  stats.pooledBuffers = 0;
  stats.pooledBytes = 0;
}

/** Sets how many idle bytes the pool may keep. */
export function setMaxPooledBytes(bytes: number): void {
  maxPooledBytes = bytes;
}

/** A snapshot of the memory counters. */
export function memoryStats(): MemoryStats {
  return { ...stats };
}

/** The usage flags of tensor storage buffers. */
export const STORAGE_BUFFER_USAGE: number = STORAGE_USAGE;
