/**
 * Consistency check a writer runs on a {@link Volume} before producing any bytes, so a broken
 * volume fails loudly instead of producing a file no tool can open.
 *
 * @module
 */

import { InvalidVolumeError } from "../errors.ts";
import { invertAffine } from "../geometry.ts";
import type { Volume } from "../volume.ts";

/** Throws {@link InvalidVolumeError} unless dims, channels, data length and affine agree. */
export function assertWritableVolume(path: string, volume: Volume): void {
  const { dims, channels, data, affine } = volume;
  if (dims.length !== 3 || !dims.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new InvalidVolumeError(path, `dims [${dims}] must be three positive integers`);
  }
  if (!Number.isSafeInteger(channels) || channels < 1) {
    throw new InvalidVolumeError(path, `channels ${channels} must be a positive integer`);
  }
  const expected = dims[0] * dims[1] * dims[2] * channels;
  if (data.length !== expected) {
    throw new InvalidVolumeError(
      path,
      `data has ${data.length} voxels but dims [${dims}] × ${channels} channel(s) need ${expected}`,
    );
  }
  if (affine.length !== 16 || !affine.every(Number.isFinite)) {
    throw new InvalidVolumeError(path, "affine must be 16 finite numbers (row-major 4×4)");
  }
  try {
    invertAffine(affine);
  } catch (error) {
    throw new InvalidVolumeError(path, (error as Error).message);
  }
}
