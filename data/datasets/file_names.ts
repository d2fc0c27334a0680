/**
 * File-name conventions of segmentation datasets: volume extensions and nnU-Net's `_0000`
 * channel suffix.
 *
 * @module
 */

import { SUPPORTED_EXTENSIONS } from "../formats/mod.ts";

/** A volume file name split into its stem and extension. */
export interface VolumeFileName {
  /** The name without its extension, e.g. `case_001_0000`. */
  stem: string;
  /** The extension as written, e.g. `.nii.gz`. */
  extension: string;
}

/** Splits a volume file name; `undefined` when the extension is not a volume format. */
export function splitVolumeFileName(name: string): VolumeFileName | undefined {
  const lower = name.toLowerCase();
  const extension = SUPPORTED_EXTENSIONS.find((candidate) => lower.endsWith(candidate));
  if (!extension || name.startsWith(".")) return undefined;
  return { stem: name.slice(0, -extension.length), extension: name.slice(-extension.length) };
}

/** A stem with nnU-Net's channel suffix taken off: `case_7_0001` → `{ id: "case_7", channel: 1 }`. */
export function splitChannelSuffix(stem: string): { id: string; channel: number } | undefined {
  const match = /^(.+)_(\d{4})$/.exec(stem);
  return match ? { id: match[1], channel: Number(match[2]) } : undefined;
}

/** `root` joined with a relative path from a dataset description (a leading `./` dropped). */
export function joinPath(root: string, relative: string): string {
  if (relative.startsWith("/")) return relative;
  const clean = relative.replace(/^(\.\/)+/, "");
  return root.endsWith("/") ? `${root}${clean}` : `${root}/${clean}`;
}

/** Whether a file exists at `path` (false for folders). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Names of the files in a folder, sorted; throws `DatasetLayoutError`-ready NotFound as is. */
export async function listFiles(folder: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) if (entry.isFile) names.push(entry.name);
  return names.sort();
}
