/**
 * Files that a header names for its voxels (MetaImage `.mhd`, NRRD `.nhdr`): resolving them
 * beside the header and reading them with an error that names both files.
 *
 * @module
 */

import { VolumeFormatError } from "../errors.ts";

/** The folder part of a path, with its trailing slash ("" when there is none). */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.slice(0, slash + 1) : "";
}

/** File name without its folder. */
export function baseNameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Resolves a data file name from a header: absolute as is, relative to the header's folder. */
export function resolveBesideHeader(headerPath: string, name: string): string {
  return name.startsWith("/") ? name : folderOf(headerPath) + name;
}

/** Reads the data file a header names; a missing file becomes a {@link VolumeFormatError}. */
export async function readDataFile(headerPath: string, name: string): Promise<Uint8Array> {
  // deno-lint-ignore no-control-regex -- control bytes are exactly what marks a damaged name
  if (name.trim() === "" || /[\x00-\x1f]/.test(name)) {
    throw new VolumeFormatError(
      headerPath,
      `the data file name in the header (${JSON.stringify(name)}) is empty or holds binary bytes`,
      "the header is corrupt",
    );
  }
  const dataPath = resolveBesideHeader(headerPath, name);
  try {
    return await Deno.readFile(dataPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      throw new VolumeFormatError(
        headerPath,
        `data file ${
          JSON.stringify(name)
        } named in the header does not exist or is a folder (${dataPath})`,
        "keep the header and its data file together in one folder",
        { cause: error },
      );
    }
    throw error;
  }
}

/** Splits header text into `key = value` (MetaImage) or `key: value` (NRRD) pairs. */
export function splitHeaderLine(line: string, separator: "=" | ":"): [string, string] | undefined {
  const at = line.indexOf(separator);
  if (at < 0) return undefined;
  return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
}
