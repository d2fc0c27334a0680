/**
 * Loads cases in Deno workers ahead of their use, so reading and decompressing files
 * overlaps GPU work. Cases come back in the requested order; at most `prefetch` are loaded
 * or waiting at any time.
 *
 * @module
 */

import type { LoadRequest, LoadResponse } from "./protocol.ts";

/** Raised in the main thread when a case failed to load in a worker. */
export class CaseLoadError extends Error {
  /** The case that failed. */
  readonly caseId: string;

  /** Creates the error. */
  constructor(caseId: string, message: string, options?: ErrorOptions) {
    super(`loading case "${caseId}" failed: ${message}`, options);
    this.name = "CaseLoadError";
    this.caseId = caseId;
  }
}

/** Options of {@link BackgroundLoader}. */
export interface BackgroundLoaderOptions {
  /** URL (or absolute path) of a module exporting `loadCase(caseId)`. */
  module: string | URL;
  /** Worker count (default 2). */
  workers?: number;
  /** Cases loaded or waiting at most at once (default 2 × workers). */
  prefetch?: number;
}

interface Pending {
  caseId: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A pool of loader workers.
 *
 * @example
 * ```ts ignore
 * using loader = new BackgroundLoader({ module: new URL("./my_loader.ts", import.meta.url) });
 * for await (const item of loader.load(["case_001", "case_002"])) {
 *   // item is what loadCase returned
 * }
 * ```
 */
export class BackgroundLoader<T = unknown> implements Disposable {
  readonly #module: string;
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #waiting: Array<{ request: LoadRequest; pending: Pending }> = [];
  readonly #inFlight = new Map<Worker, { job: number; pending: Pending }>();
  readonly #prefetch: number;
  #nextJob = 0;
  #closed = false;

  /** Starts the workers. */
  constructor(options: BackgroundLoaderOptions) {
    const module = options.module;
    this.#module = module instanceof URL
      ? module.href
      : /^[a-z]+:/.test(module)
      ? module
      : new URL(`file://${module.startsWith("/") ? "" : Deno.cwd() + "/"}${module}`).href;
    const count = options.workers ?? 2;
    if (!(Number.isInteger(count) && count > 0)) {
      throw new RangeError(`workers must be a positive integer, got ${count}`);
    }
    this.#prefetch = Math.max(1, options.prefetch ?? 2 * count);
    for (let i = 0; i < count; i++) {
      const worker = this.#spawn();
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  /** Loads one case (queued behind earlier requests). */
  loadOne(caseId: string): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("BackgroundLoader is closed"));
    return new Promise<T>((resolve, reject) => {
      const request: LoadRequest = { job: this.#nextJob++, module: this.#module, caseId };
      this.#waiting.push({
        request,
        pending: { caseId, resolve: resolve as (v: unknown) => void, reject },
      });
      this.#pump();
    });
  }

  /**
   * Yields the cases in order, loading up to `prefetch` ahead. A failed case throws
   * {@link CaseLoadError} when its turn comes.
   */
  async *load(caseIds: Iterable<string>): AsyncGenerator<T> {
    const ids = [...caseIds];
    const ahead: Array<Promise<T>> = [];
    let next = 0;
    const fill = () => {
      while (next < ids.length && ahead.length < this.#prefetch) {
        const promise = this.loadOne(ids[next++]);
        promise.catch(() => {}); // observed when its turn comes
        ahead.push(promise);
      }
    };
    fill();
    while (ahead.length > 0) {
      const value = await ahead.shift()!;
      fill();
      yield value;
    }
  }

  /** Stops the workers; pending loads reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of this.#workers) worker.terminate();
    const error = new Error("BackgroundLoader closed");
    for (const { pending } of this.#inFlight.values()) pending.reject(error);
    for (const { pending } of this.#waiting) pending.reject(error);
    this.#inFlight.clear();
    this.#waiting.length = 0;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #spawn(): Worker {
    const worker = new Worker(new URL("./load_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<LoadResponse>) => this.#onMessage(worker, event);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#onCrash(worker, event.message);
    };
    return worker;
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#waiting.length > 0) {
      const worker = this.#idle.pop()!;
      const { request, pending } = this.#waiting.shift()!;
      this.#inFlight.set(worker, { job: request.job, pending });
      worker.postMessage(request);
    }
  }

  #onMessage(worker: Worker, event: MessageEvent<LoadResponse>): void {
    const entry = this.#inFlight.get(worker);
    if (!entry || entry.job !== event.data.job) return;
    this.#inFlight.delete(worker);
    this.#idle.push(worker);
    const response = event.data;
    if (response.ok) entry.pending.resolve(response.value);
    else {
      const cause = new Error(response.message);
      if (response.stack) cause.stack = response.stack;
      entry.pending.reject(new CaseLoadError(entry.pending.caseId, response.message, { cause }));
    }
    this.#pump();
  }

  #onCrash(worker: Worker, message: string): void {
    const entry = this.#inFlight.get(worker);
    this.#inFlight.delete(worker);
    entry?.pending.reject(new CaseLoadError(entry.pending.caseId, `worker crashed: ${message}`));
    // a crashed worker is not reused: replace it
    worker.terminate();
    const index = this.#workers.indexOf(worker);
    if (this.#closed || index < 0) return;
    const fresh = this.#spawn();
    this.#workers[index] = fresh;
    this.#idle.push(fresh);
    this.#pump();
  }
}
