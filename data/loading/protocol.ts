/**
 * Messages between the background loader and its workers, and the transferable buffers of
 * a loaded case.
 *
 * @module
 */

/** Main thread → worker: load one case. */
export interface LoadRequest {
  /** Sequence number of the request. */
  job: number;
  /** URL of the user's loader module (exports `loadCase(caseId)`). */
  module: string;
  /** The case to load. */
  caseId: string;
}

/** Worker → main thread: a loaded case or an error. */
export type LoadResponse =
  | { job: number; ok: true; value: unknown }
  | { job: number; ok: false; message: string; stack?: string };

/** What a loader module must export. */
export interface CaseLoaderModule<T = unknown> {
  /** Reads (and decompresses, preprocesses…) one case; typed arrays are transferred. */
  loadCase(caseId: string): T | Promise<T>;
}

/**
 * The distinct ArrayBuffers of every typed array and ArrayBuffer in a value (searched
 * through arrays, maps and plain objects), to transfer instead of copy.
 */
export function transferablesOf(
  value: unknown,
  found: Set<ArrayBuffer> = new Set<ArrayBuffer>(),
): ArrayBuffer[] {
  if (value instanceof ArrayBuffer) found.add(value);
  else if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (Array.isArray(value)) { for (const v of value) transferablesOf(v, found); }
  else if (value instanceof Map) { for (const v of value.values()) transferablesOf(v, found); }
  else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) transferablesOf(v, found);
  }
  return [...found];
}
