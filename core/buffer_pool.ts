/**
 * Pooled GPU storage buffers. WebGPU buffers are not garbage-collected in time, so tensors
 * borrow buffers from size classes and return them; a returned buffer is reused only after
 * the commands recorded so far are submitted, so reuse never races with queued work.
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
let deferred: Array<[string, GPUBuffer]> = [];
const stats: MemoryStats = {
  liveBuffers: 0,
  liveBytes: 0,
  pooledBuffers: 0,
  pooledBytes: 0,
  createdBuffers: 0,
};
/** Keeps the pool from hoarding: beyond this many idle bytes, returned buffers are destroyed. */
let maxPooledBytes = 2 ** 31;

/** Borrows a buffer of at least `bytes` bytes with the given usage (storage by default). */
export function acquireBuffer(bytes: number, usage: number = STORAGE_USAGE): GPUBuffer {
  const size = sizeClass(bytes);
  const key = `${usage}:${size}`;
  let buffer = free.get(key)?.pop();
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

/** Returns a borrowed buffer; it becomes reusable at the next submit. */
export function releaseBuffer(buffer: GPUBuffer): void {
  stats.liveBuffers--;
  stats.liveBytes -= buffer.size;
  deferred.push([`${buffer.usage}:${buffer.size}`, buffer]);
}

/** Called by the command queue after a submit: returned buffers may now be reused. */
export function recycleDeferredBuffers(): void {
  for (const [key, buffer] of deferred) {
    if (stats.pooledBytes + buffer.size > maxPooledBytes) {
      buffer.destroy();
      continue;
    }
    let list = free.get(key);
    if (!list) free.set(key, list = []);
    list.push(buffer);
    stats.pooledBuffers++;
    stats.pooledBytes += buffer.size;
  }
  deferred = [];
}

/** True while some returned buffers wait for a submit before reuse. */
export function hasDeferredBuffers(): boolean {
  return deferred.length > 0;
}

/** Destroys every idle pooled buffer (for example between experiments). */
export function trimPool(): void {
  for (const list of free.values()) for (const buffer of list) buffer.destroy();
  free.clear();
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
