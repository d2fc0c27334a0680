/**
 * What `predict` reads: a single image file, a folder of images (nnU-Net `_0000`,
 * `_0001`… channel files are grouped into one case), or a DICOM series folder.
 *
 * @module
 */

import { splitChannelSuffix, splitVolumeFileName } from "../data/datasets/file_names.ts";
import { stackChannels } from "../data/datasets/case_loader.ts";
import { readVolume } from "../data/formats/mod.ts";
import type { Volume } from "../data/volume.ts";

/** One case to predict: its id (output file stem) and how to read its image. */
export interface PredictionInput {
  /** Case id, used as `<id>.nii.gz`. */
  id: string;
  /** Files making up the image, in channel order (one folder for DICOM). */
  paths: string[];
}

/** Lists the cases under `input` (a file or a folder). */
export async function listPredictionInputs(input: string): Promise<PredictionInput[]> {
  const info = await Deno.stat(input);
  const base = input.replace(/\/+$/, "");
  if (info.isFile) {
    const name = base.split("/").pop()!;
    const split = splitVolumeFileName(name);
    if (!split) throw new Error(`${input}: not a supported image file`);
    return [{ id: splitChannelSuffix(split.stem)?.id ?? split.stem, paths: [input] }];
  }
  const groups = new Map<string, Array<{ channel: number; path: string }>>();
  for await (const entry of Deno.readDir(input)) {
    if (!entry.isFile) continue;
    const split = splitVolumeFileName(entry.name);
    if (!split) continue;
    const channel = splitChannelSuffix(split.stem);
    const id = channel?.id ?? split.stem;
    const list = groups.get(id) ?? [];
    list.push({ channel: channel?.channel ?? 0, path: `${base}/${entry.name}` });
    groups.set(id, list);
  }
  if (groups.size === 0) {
    // No image files: treat the folder as one DICOM series.
    return [{ id: base.split("/").pop() || "series", paths: [input] }];
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, files]) => ({
    id,
    paths: files.sort((a, b) => a.channel - b.channel).map((f) => f.path),
  }));
}

/** Reads a case's image, stacking channel files. */
export async function readPredictionInput(input: PredictionInput): Promise<Volume> {
  const volumes = await Promise.all(input.paths.map((p) => readVolume(p)));
  return volumes.length === 1 ? volumes[0] : stackChannels(input.id, volumes);
}
