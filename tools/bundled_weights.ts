/**
 * Finds a bundled model's checkpoint (`bundles/unet/weights/<name>/checkpoint_final.safetensors`)
 * beside this module. From a local clone that is a file; when the toolkit is imported from a
 * registry (an `https:` module URL) the checkpoint is downloaded once into a cache folder and
 * written atomically, so an interrupted download never leaves a truncated checkpoint behind.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { atomicWriteFile } from "../core/serialize/atomic_write.ts";
import { isFile } from "../data/datasets/file_names.ts";

/** The checkpoint file every bundled model folder holds. */
export const BUNDLED_CHECKPOINT_FILE = "checkpoint_final.safetensors";

/** Where downloaded bundled weights are kept: `$XDG_CACHE_HOME` or `~/.cache`, then `mipcandy`. */
export function defaultWeightsCache(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  const root = xdg ?? (home ? `${home}/.cache` : Deno.makeTempDirSync());
  return `${root}/mipcandy/weights`;
}

/**
 * Returns the local path of bundled model `name`'s checkpoint, or `undefined` when no such
 * bundled model exists. `moduleUrl` is the URL the bundle folder is resolved against (this
 * module's own by default); remote checkpoints are cached under `cacheDir`.
 */
export async function bundledCheckpoint(
  name: string,
  moduleUrl: string = import.meta.url,
  cacheDir: string = defaultWeightsCache(),
): Promise<string | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) return undefined;
  const url = new URL(`../bundles/unet/weights/${name}/${BUNDLED_CHECKPOINT_FILE}`, moduleUrl);
  if (url.protocol === "file:") {
    const path = fileURLToPath(url);
    return await isFile(path) ? path : undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const cached = `${cacheDir}/${name}/${BUNDLED_CHECKPOINT_FILE}`;
  if (await isFile(cached)) return cached;
  const response = await fetch(url);
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`downloading bundled model "${name}" from ${url}: HTTP ${response.status}`);
  }
  await Deno.mkdir(`${cacheDir}/${name}`, { recursive: true });
  try {
    await atomicWriteFile(cached, new Uint8Array(await response.arrayBuffer()));
  } catch (error) {
    throw new Error(`downloading bundled model "${name}" from ${url}: ${error}`);
  }
  return cached;
}
