/**
 * Scopes release every tensor created inside them except the ones returned or kept,
 * because GPU buffers are not garbage-collected in time.
 *
 * @module
 */

/** What a scope needs of a tensor: to dispose it and to know whether it is kept. */
export interface ScopedResource {
  /** Releases the resource. */
  dispose(): void;
  /** True when the resource was marked to outlive every scope. */
  readonly kept: boolean;
}

const stack: Set<ScopedResource>[] = [];

/** Registers a newly created resource with the innermost open scope, if any. */
export function track(resource: ScopedResource): void {
  stack[stack.length - 1]?.add(resource);
}

/** Removes a resource from every open scope (it then lives until disposed by hand). */
export function untrack(resource: ScopedResource): void {
  for (const scope of stack) scope.delete(resource);
}

function collect(value: unknown, into: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 8) return;
  if ("dispose" in value && "kept" in value) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) { for (const v of value) collect(v, into, depth + 1); }
  else if (value instanceof Map) { for (const v of value.values()) collect(v, into, depth + 1); }
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, depth + 1);
  }
}

function close(scope: Set<ScopedResource>, result: unknown): void {
  const survivors = new Set<unknown>();
  collect(result, survivors);
  stack.pop();
  const parent = stack[stack.length - 1];
  for (const resource of scope) {
    if (survivors.has(resource)) parent?.add(resource);
    else if (!resource.kept) resource.dispose();
  }
}

/**
 * Runs `fn` and disposes every tensor created during it, except those in its result (a
 * tensor, or arrays, maps and plain objects holding tensors) and those marked kept.
 * An async `fn` closes the scope when its promise settles; do not interleave two async
 * scopes concurrently.
 *
 * @example
 * ```ts
 * import { scope } from "./scope.ts";
 * const total = scope(() => 1 + 1); // tensors made inside would be released here
 * ```
 */
export function scope<T>(fn: () => T): T {
  const resources = new Set<ScopedResource>();
  stack.push(resources);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    close(resources, undefined);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        close(resources, value);
        return value;
      },
      (error) => {
        close(resources, undefined);
        throw error;
      },
    ) as T;
  }
  close(resources, result);
  return result;
}

/** Number of scopes currently open. */
export function scopeDepth(): number {
  return stack.length;
}
