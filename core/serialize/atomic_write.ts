/**
 * Crash-safe file writing: data goes to a temporary file beside the target, is flushed to
 * disk, and only then renamed over the target, so a reader never sees a half-written file
 * and an interrupted write leaves the previous version intact.
 *
 * @module
 */

/**
 * Writes `data` to `path` atomically (temporary file, fsync, rename).
 *
 * @example
 * ```ts
 * import { atomicWriteFile } from "./atomic_write.ts";
 * await atomicWriteFile(await Deno.makeTempFile(), new TextEncoder().encode("hello"));
 * ```
 */
export async function atomicWriteFile(path: string, data: Uint8Array): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const base = path.slice(slash + 1);
  const tmp = `${dir}.${base}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/** Writes UTF-8 text to `path` atomically; see {@link atomicWriteFile}. */
export function atomicWriteTextFile(path: string, text: string): Promise<void> {
  return atomicWriteFile(path, new TextEncoder().encode(text));
}
