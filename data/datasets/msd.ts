/**
 * The Medical Segmentation Decathlon / nnU-Net dataset layout: a root folder with
 * `dataset.json`, `imagesTr/` and `labelsTr/`.
 *
 * Both generations of the description are understood:
 * - MSD and nnU-Net v1: `modality` names the channels, `labels` maps `"0"` → name, and a
 *   `training` list gives `{image, label}` paths. An image entry may be one (possibly 4-D)
 *   file, or, as nnU-Net v1 stores it, files `<stem>_0000<ext>`, `<stem>_0001<ext>`, ….
 * - nnU-Net v2: `channel_names`, `labels` maps name → value, `file_ending`, and no list; the
 *   cases are the `imagesTr/<id>_<cccc><ext>` files.
 *
 * @module
 */

import type { CaseRef, Dataset } from "./dataset.ts";
import { DatasetLayoutError, MissingCaseFileError } from "./errors.ts";
import { filesDataset } from "./files_dataset.ts";
import {
  isFile,
  joinPath,
  listFiles,
  splitChannelSuffix,
  splitVolumeFileName,
} from "./file_names.ts";

/** Options for {@link openMsdDataset}. */
export interface MsdDatasetOptions {
  /** Require every case to have a label (default true). */
  requireLabels?: boolean;
}

type Json = Record<string, unknown>;

function parseChannelNames(description: Json, path: string): string[] {
  const table = description.channel_names ?? description.modality;
  if (table === undefined) return [];
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new DatasetLayoutError(path, '"channel_names"/"modality" must be an object');
  }
  const entries = Object.entries(table as Json).map(([key, name]) => {
    if (!/^\d+$/.test(key)) {
      throw new DatasetLayoutError(path, `channel key "${key}" is not a channel number`);
    }
    return [Number(key), String(name)] as const;
  }).sort((a, b) => a[0] - b[0]);
  entries.forEach(([channel], n) => {
    if (channel !== n) throw new DatasetLayoutError(path, `channel ${n} is not named`);
  });
  return entries.map(([, name]) => name);
}

/** Accepts `{"0": "background"}` (MSD, v1) and `{"background": 0}` (v2). */
function parseLabelNames(description: Json, path: string): Record<number, string> {
  const table = description.labels;
  if (table === undefined) return {};
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new DatasetLayoutError(path, '"labels" must be an object');
  }
  const names: Record<number, string> = {};
  for (const [key, value] of Object.entries(table as Json)) {
    if (/^\d+$/.test(key)) {
      names[Number(key)] = String(value);
    } else if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
      names[value] = key;
    } else {
      throw new DatasetLayoutError(
        path,
        `label "${key}" has value ${JSON.stringify(value)}`,
        "only integer labels are supported (no region lists)",
      );
    }
  }
  return names;
}

async function readDescription(path: string): Promise<Json> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DatasetLayoutError(path, "does not exist", "is this an MSD/nnU-Net dataset root?");
    }
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new SyntaxError("the top level is not an object");
    }
    return parsed as Json;
  } catch (error) {
    throw new DatasetLayoutError(path, `is not valid JSON (${(error as Error).message})`, "", {
      cause: error,
    });
  }
}

/** Resolves an MSD/v1 image entry to its channel files. */
async function resolveImageEntry(
  id: string,
  imagePath: string,
  channelCount: number,
): Promise<string[]> {
  if (await isFile(imagePath)) return [imagePath];
  const slash = imagePath.lastIndexOf("/");
  const split = splitVolumeFileName(imagePath.slice(slash + 1));
  if (split) {
    const folder = imagePath.slice(0, slash + 1);
    const channelPaths = Array.from(
      { length: Math.max(channelCount, 1) },
      (_, c) => `${folder}${split.stem}_${String(c).padStart(4, "0")}${split.extension}`,
    );
    const present = await Promise.all(channelPaths.map(isFile));
    if (present.every(Boolean)) return channelPaths;
    if (present.some(Boolean)) {
      const missing = channelPaths[present.indexOf(false)];
      throw new MissingCaseFileError(id, missing, `image channel ${present.indexOf(false)}`);
    }
  }
  throw new MissingCaseFileError(id, imagePath, "image");
}

async function casesFromTrainingList(
  root: string,
  list: unknown,
  path: string,
  channelCount: number,
): Promise<CaseRef[]> {
  if (!Array.isArray(list)) throw new DatasetLayoutError(path, '"training" must be a list');
  return await Promise.all(list.map(async (entry: unknown, n) => {
    const record = entry as Json;
    if (typeof record?.image !== "string") {
      throw new DatasetLayoutError(path, `training entry ${n} has no "image" path`);
    }
    const imagePath = joinPath(root, record.image);
    const name = imagePath.slice(imagePath.lastIndexOf("/") + 1);
    const id = splitVolumeFileName(name)?.stem;
    if (!id) {
      throw new DatasetLayoutError(path, `training entry ${n}: "${record.image}" is not a volume`);
    }
    const imagePaths = await resolveImageEntry(id, imagePath, channelCount);
    const ref: CaseRef = { id, imagePaths };
    if (typeof record.label === "string") ref.labelPath = joinPath(root, record.label);
    return ref;
  }));
}

async function casesFromImageFolder(
  root: string,
  fileEnding: string | undefined,
  channelCount: number,
): Promise<CaseRef[]> {
  const folder = joinPath(root, "imagesTr");
  let names: string[];
  try {
    names = await listFiles(folder);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DatasetLayoutError(
        folder,
        "does not exist",
        "expected imagesTr/ beside dataset.json",
      );
    }
    throw error;
  }
  const channelsById = new Map<string, { files: Map<number, string>; extension: string }>();
  for (const name of names) {
    const split = splitVolumeFileName(name);
    if (!split || (fileEnding && split.extension !== fileEnding)) continue;
    const channel = splitChannelSuffix(split.stem);
    if (!channel) {
      throw new DatasetLayoutError(
        `${folder}/${name}`,
        "has no _0000 channel suffix",
        "nnU-Net v2 names images <case>_<channel><ext>",
      );
    }
    const entry = channelsById.get(channel.id) ??
      { files: new Map<number, string>(), extension: split.extension };
    entry.files.set(channel.channel, `${folder}/${name}`);
    channelsById.set(channel.id, entry);
  }
  const count = Math.max(channelCount, 1);
  return [...channelsById.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(
    ([id, { files, extension }]) => {
      const imagePaths = Array.from({ length: count }, (_, c) => {
        const file = files.get(c);
        if (!file) {
          const expected = `${folder}/${id}_${String(c).padStart(4, "0")}${extension}`;
          throw new MissingCaseFileError(id, expected, `image channel ${c}`);
        }
        return file;
      });
      return { id, imagePaths, labelPath: joinPath(root, `labelsTr/${id}${extension}`) };
    },
  );
}

/**
 * Opens an MSD or nnU-Net (v1/v2) dataset folder. Checks up front that every listed image
 * and label exists, so a broken dataset fails here with the missing path, not mid-training.
 *
 * @throws {DatasetLayoutError} When `dataset.json` is missing or malformed.
 * @throws {MissingCaseFileError} When a listed image or label file does not exist.
 *
 * @example
 * ```ts ignore
 * import { openMsdDataset } from "./msd.ts";
 * const dataset = await openMsdDataset("/data/Task04_Hippocampus");
 * const { image, label } = await dataset.load(dataset.cases()[0].id);
 * ```
 */
export async function openMsdDataset(
  root: string,
  options: MsdDatasetOptions = {},
): Promise<Dataset> {
  const descriptionPath = joinPath(root, "dataset.json");
  const description = await readDescription(descriptionPath);
  const channelNames = parseChannelNames(description, descriptionPath);
  const labelNames = parseLabelNames(description, descriptionPath);
  const fileEnding = typeof description.file_ending === "string"
    ? description.file_ending
    : undefined;
  const refs = description.training !== undefined
    ? await casesFromTrainingList(root, description.training, descriptionPath, channelNames.length)
    : await casesFromImageFolder(root, fileEnding, channelNames.length);
  const requireLabels = options.requireLabels ?? true;
  await Promise.all(refs.map(async (ref) => {
    if (ref.labelPath === undefined) {
      if (requireLabels) {
        throw new DatasetLayoutError(descriptionPath, `case "${ref.id}" has no label entry`);
      }
    } else if (!(await isFile(ref.labelPath))) {
      if (requireLabels) throw new MissingCaseFileError(ref.id, ref.labelPath, "label");
      delete ref.labelPath;
    }
  }));
  return filesDataset(refs, descriptionPath, { labelNames, channelNames });
}
