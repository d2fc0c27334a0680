/**
 * Plain folders of images and labels matched by name: `images/case_7.nii.gz` pairs with
 * `labels/case_7.nii.gz` (any supported extension). When every image name ends in a
 * `_0000`-style suffix, files sharing a prefix are the channels of one case, as in nnU-Net.
 *
 * @module
 */

import type { CaseRef, Dataset } from "./dataset.ts";
import { DatasetLayoutError, MissingCaseFileError } from "./errors.ts";
import { filesDataset } from "./files_dataset.ts";
import { joinPath, listFiles, splitChannelSuffix, splitVolumeFileName } from "./file_names.ts";

/** Where {@link openFolderDataset} looks. */
export interface FolderDatasetOptions {
  /** Folder of image files. */
  images: string;
  /** Folder of label files; leave out for unlabelled data (e.g. inference inputs). */
  labels?: string;
  /** Label names by value, if known. */
  labelNames?: Record<number, string>;
}

async function volumeFiles(folder: string): Promise<{ name: string; stem: string }[]> {
  try {
    return (await listFiles(folder)).flatMap((name) => {
      const split = splitVolumeFileName(name);
      return split ? [{ name, stem: split.stem }] : [];
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DatasetLayoutError(folder, "folder does not exist");
    }
    throw error;
  }
}

/**
 * Opens a folder of images (and optionally one of labels) matched by file name.
 *
 * @throws {DatasetLayoutError} When a folder is missing or empty, or a label has no image.
 * @throws {MissingCaseFileError} When an image has no label, or a channel file is missing.
 *
 * @example
 * ```ts ignore
 * import { openFolderDataset } from "./folder.ts";
 * const dataset = await openFolderDataset({ images: "scans", labels: "masks" });
 * ```
 */
export async function openFolderDataset(options: FolderDatasetOptions): Promise<Dataset> {
  const images = await volumeFiles(options.images);
  if (images.length === 0) {
    throw new DatasetLayoutError(options.images, "holds no volume files");
  }
  const suffixed = images.every(({ stem }) => splitChannelSuffix(stem) !== undefined);
  const channelFiles = new Map<string, Map<number, string>>();
  for (const { name, stem } of images) {
    const { id, channel } = suffixed ? splitChannelSuffix(stem)! : { id: stem, channel: 0 };
    const files = channelFiles.get(id) ?? new Map<number, string>();
    if (files.has(channel)) {
      throw new DatasetLayoutError(joinPath(options.images, name), `duplicates case "${id}"`);
    }
    files.set(channel, joinPath(options.images, name));
    channelFiles.set(id, files);
  }
  const labels = options.labels === undefined ? undefined : new Map(
    (await volumeFiles(options.labels)).map(({ name, stem }) => [stem, name]),
  );
  const refs: CaseRef[] = [...channelFiles.entries()].map(([id, files]) => {
    const count = Math.max(...files.keys()) + 1;
    const imagePaths = Array.from({ length: count }, (_, c) => {
      const file = files.get(c);
      if (!file) {
        const expected = joinPath(options.images, `${id}_${String(c).padStart(4, "0")}`);
        throw new MissingCaseFileError(id, `${expected}.*`, `image channel ${c}`);
      }
      return file;
    });
    const ref: CaseRef = { id, imagePaths };
    if (labels && options.labels !== undefined) {
      const labelName = labels.get(id);
      if (!labelName) {
        throw new MissingCaseFileError(id, joinPath(options.labels, `${id}.*`), "label");
      }
      ref.labelPath = joinPath(options.labels, labelName);
    }
    return ref;
  });
  if (labels && options.labels !== undefined) {
    for (const [stem, name] of labels) {
      if (!channelFiles.has(stem)) {
        throw new DatasetLayoutError(joinPath(options.labels, name), "has no matching image");
      }
    }
  }
  const counts = new Set(refs.map((ref) => ref.imagePaths.length));
  if (counts.size > 1) {
    throw new DatasetLayoutError(
      options.images,
      `cases have different channel counts: ${[...counts]}`,
    );
  }
  refs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return filesDataset(refs, options.images, { labelNames: options.labelNames });
}
