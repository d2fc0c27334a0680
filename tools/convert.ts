/**
 * Converts a volume between medical formats, keeping its geometry:
 * `deno task convert INPUT OUTPUT`. The formats follow the extensions.
 *
 * @module
 */

import { parseCommandLine } from "./cli.ts";
import { reorientToCanonical } from "../data/geometry.ts";
import { readVolume, SUPPORTED_EXTENSIONS, writeVolume } from "../data/formats/mod.ts";
import type { NonFinitePolicy } from "../data/formats/mod.ts";

const USAGE = `Convert a medical volume between formats, keeping its geometry.

Usage: deno task convert [options] INPUT OUTPUT

INPUT and OUTPUT formats follow their extensions: ${SUPPORTED_EXTENSIONS.join(", ")}.

Options:
  --non-finite POLICY  what to do with NaN/Inf voxels: error (default), keep, zero
  --compress           compress MetaImage (zlib) / NRRD (gzip) output (NRRD default)
  --no-compress        write MetaImage / NRRD voxels uncompressed (MetaImage default)
  --canonical          reorient the voxel axes to RAS first (world positions unchanged)
  -h, --help           show this help
`;

const POLICIES: NonFinitePolicy[] = ["error", "keep", "zero"];

/**
 * Runs the converter on command-line arguments; returns the process exit code.
 *
 * @example
 * ```ts ignore
 * import { convertMain } from "./convert.ts";
 * Deno.exit(await convertMain(["scan.nii.gz", "scan.mha"]));
 * ```
 */
export async function convertMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      "non-finite": { type: "string", default: "error" },
      compress: { type: "boolean" },
      "no-compress": { type: "boolean" },
      canonical: { type: "boolean" },
    },
    USAGE,
    { positionals: 2 },
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const policy = values["non-finite"] as NonFinitePolicy;
  if (!POLICIES.includes(policy) || (values.compress && values["no-compress"])) {
    console.error(USAGE);
    return 2;
  }
  const [input, output] = positionals;
  try {
    let volume = await readVolume(input, { nonFinite: policy });
    if (values.canonical) volume = reorientToCanonical(volume).volume;
    const compress = values.compress ? true : values["no-compress"] ? false : undefined;
    await writeVolume(output, volume, { compress });
    const type = volume.data.constructor.name.replace("Array", "").toLowerCase();
    console.log(
      `${input} → ${output}: ${volume.dims.join("×")}, ${volume.channels} channel(s), ${type}`,
    );
    return 0;
  } catch (error) {
    console.error(`convert: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await convertMain(Deno.args));
