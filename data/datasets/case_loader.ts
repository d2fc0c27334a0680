/**
 * Loads a {@link CaseRef} from disk: reads every image file, stacks their channels into one
 * volume, reads the label, and checks that everything shares one grid.
 *
 * @module
 */

import { readVolume } from "../formats/mod.ts";
import type { Volume } from "../volume.ts";
import type { CaseRef, LoadedCase } from "./dataset.ts";
import { GridMismatchError, MissingCaseFileError } from "./errors.ts";
import { assertSameGrid } from "./grid_check.ts";

async function readCaseFile(caseId: string, path: string, what: string): Promise<Volume> {
  try {
    return await readVolume(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new MissingCaseFileError(caseId, path, what);
    throw error;
  }
}

/**
 * Stacks single- or multi-channel volumes on one grid into one volume, channel after
 * channel. One volume is returned as it is; several are copied into a `Float32Array`
 * (their data types may differ). The first volume's affine and meta are kept.
 *
 * @example
 * ```ts
 * import { stackChannels } from "./case_loader.ts";
 * import { identityAffine } from "../geometry.ts";
 * const one = { data: new Uint8Array(8).fill(1), dims: [2, 2, 2] as [number, number, number],
 *   channels: 1, affine: identityAffine(), meta: {} };
 * console.assert(stackChannels("c", [one, one]).channels === 2);
 * ```
 */
export function stackChannels(caseId: string, volumes: readonly Volume[]): Volume {
  if (volumes.length === 1) return volumes[0];
  const [first] = volumes;
  volumes.forEach((volume, n) => {
    if (n > 0) assertSameGrid(caseId, first, volume, "image channel 0", `image file ${n}`);
  });
  const channels = volumes.reduce((sum, volume) => sum + volume.channels, 0);
  const voxels = first.dims[0] * first.dims[1] * first.dims[2];
  const data = new Float32Array(channels * voxels);
  let offset = 0;
  for (const volume of volumes) {
    data.set(volume.data, offset);
    offset += volume.data.length;
  }
  return { data, dims: [...first.dims], channels, affine: first.affine, meta: { ...first.meta } };
}

/**
 * Reads a case's image files and label, stacks the image channels and checks the label's
 * grid. Throws `MissingCaseFileError` naming a missing file and `GridMismatchError` naming the
 * case when grids differ.
 */
export async function loadCaseFiles(ref: CaseRef): Promise<LoadedCase> {
  const [images, label] = await Promise.all([
    Promise.all(
      ref.imagePaths.map((path, n) => readCaseFile(ref.id, path, `image channel ${n}`)),
    ),
    ref.labelPath === undefined ? undefined : readCaseFile(ref.id, ref.labelPath, "label"),
  ]);
  const image = stackChannels(ref.id, images);
  if (!label) return { id: ref.id, image };
  if (label.channels !== 1) {
    throw new GridMismatchError(ref.id, `label ${ref.labelPath} has ${label.channels} channels`);
  }
  assertSameGrid(ref.id, image, label, `image ${ref.imagePaths[0]}`, `label ${ref.labelPath}`);
  return { id: ref.id, image, label };
}
