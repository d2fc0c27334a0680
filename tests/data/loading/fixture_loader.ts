/** A loader module for the background-loader tests: reads `<dir>/<id>.nii.gz`. */

import { readVolume } from "../../../data/formats/mod.ts";

/** Loads one case; ids starting with "bad" fail on purpose. */
export async function loadCase(
  caseId: string,
): Promise<{ id: string; data: Float32Array; dims: number[] }> {
  const dir = Deno.env.get("MIPCANDY_LOADER_TEST_DIR");
  if (!dir) throw new Error("MIPCANDY_LOADER_TEST_DIR is not set");
  const volume = await readVolume(`${dir}/${caseId}.nii.gz`);
  return { id: caseId, data: Float32Array.from(volume.data), dims: [...volume.dims] };
}
