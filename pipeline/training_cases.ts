/**
 * Turns preprocessed cases into in-memory patch-sampling cases: channel-major float
 * images in (C, D, H, W) order, integer labels, and per-class foreground locations for
 * oversampling.
 *
 * @module
 */

import type { PreprocessedCase, PreprocessedDataset } from "../data/preprocessing/mod.ts";
import { foregroundLocations, type PatchCase } from "../data/sampling/mod.ts";

/** One preprocessed case as a sampler input. */
export function patchCaseFrom(loaded: PreprocessedCase, classes: number): PatchCase {
  const { image, label } = loaded;
  const [ni, nj, nk] = image.dims;
  const data = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data);
  const labels = label ? Int32Array.from(label.data) : undefined;
  const foreground = labels
    ? foregroundLocations(labels, Array.from({ length: classes - 1 }, (_, c) => c + 1), 10000, {
      seed: 1,
    })
    : undefined;
  return {
    id: loaded.id,
    image: data,
    label: labels,
    shape: [nk, nj, ni],
    channels: image.channels,
    foreground,
  };
}

/** Loads several preprocessed cases as sampler inputs. */
export async function loadPatchCases(
  preprocessed: PreprocessedDataset,
  ids: readonly string[],
  classes: number,
): Promise<PatchCase[]> {
  const out: PatchCase[] = [];
  for (const id of ids) out.push(patchCaseFrom(await preprocessed.load(id), classes));
  return out;
}
