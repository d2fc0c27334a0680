/**
 * An on-disk cache of preprocessed cases: one safetensors file per case (image, label, and
 * the geometry and inversion record in its metadata) plus `manifest.json` naming the plan's
 * hash and each case's source signature. A changed plan, or a changed source file (path,
 * size or modification time), makes the affected cases be preprocessed again; everything
 * else is reused, so a second run only checks the manifest. All writes are atomic.
 *
 * @module
 */

import { atomicWriteTextFile } from "../../core/serialize/atomic_write.ts";
import { readSafetensors, writeSafetensors } from "../../core/serialize/safetensors.ts";
import type { HostTensor } from "../../core/serialize/host_tensor.ts";
import type { CaseRef, Dataset } from "../datasets/dataset.ts";
import { DatasetLayoutError, UnknownCaseError } from "../datasets/errors.ts";
import type { Vec3 } from "../geometry.ts";
import type { Volume } from "../volume.ts";
import { planHash, type PreprocessingPlan } from "./plan.ts";
import { type InversionRecord, preprocessCase, type PreprocessedCase } from "./preprocess_case.ts";

/** Contents of `manifest.json`. */
interface CacheManifest {
  version: 1;
  planHash: string;
  plan: PreprocessingPlan;
  /** Source signature of every cached case, by id. */
  cases: Record<string, string>;
}

/** Options for {@link preprocessDatasetCached}. */
export interface CacheOptions {
  /** Cases preprocessed at once (default 4; loading overlaps with computing). */
  concurrency?: number;
  /** Called after each case is preprocessed (not for cache hits). */
  onCase?: (id: string, done: number, total: number) => void;
}

/** A dataset's preprocessed cases, served from the cache folder. */
export interface PreprocessedDataset {
  /** Case ids in dataset order. */
  readonly ids: readonly string[];
  /** The plan the cases were preprocessed with. */
  readonly plan: PreprocessingPlan;
  /** Cases found valid in the cache and cases preprocessed now. */
  readonly stats: { hits: number; misses: number };
  /** Reads one preprocessed case from the cache. */
  load(id: string): Promise<PreprocessedCase>;
}

const MANIFEST = "manifest.json";

function caseFile(folder: string, id: string): string {
  return `${folder}/${encodeURIComponent(id)}.safetensors`;
}

/** Paths, sizes and modification times of a case's files; memory cases just their ids. */
async function sourceSignature(ref: CaseRef): Promise<string> {
  const paths = [...ref.imagePaths, ref.labelPath ?? ""];
  const parts = await Promise.all(paths.map(async (path) => {
    if (!path || path.startsWith("memory:")) return path;
    const info = await Deno.stat(path).catch(() => undefined);
    return `${path}|${info?.size ?? -1}|${info?.mtime?.getTime() ?? 0}`;
  }));
  return parts.join("\n");
}

async function readManifest(folder: string): Promise<CacheManifest | undefined> {
  try {
    const manifest = JSON.parse(await Deno.readTextFile(`${folder}/${MANIFEST}`));
    return manifest?.version === 1 && typeof manifest.planHash === "string" ? manifest : undefined;
  } catch {
    // A missing or unreadable manifest just means an empty cache.
    return undefined;
  }
}

function volumeTensor(volume: Volume): HostTensor {
  const shape = [volume.channels, volume.dims[2], volume.dims[1], volume.dims[0]];
  const data = volume.data;
  if (data instanceof Float32Array) return { dtype: "F32", shape, data };
  if (data instanceof Uint8Array) return { dtype: "U8", shape, data };
  if (data instanceof Uint16Array) return { dtype: "U16", shape, data };
  if (data instanceof Int32Array) return { dtype: "I32", shape, data };
  return { dtype: "F32", shape, data: Float32Array.from(data) };
}

async function writeCase(path: string, hash: string, result: PreprocessedCase): Promise<void> {
  const tensors: Record<string, HostTensor> = { image: volumeTensor(result.image) };
  if (result.label) tensors.label = volumeTensor(result.label);
  await writeSafetensors(path, tensors, {
    planHash: hash,
    id: result.id,
    affine: JSON.stringify(Array.from(result.image.affine)),
    inversion: JSON.stringify(result.inversion),
  });
}

async function readCase(path: string, id: string): Promise<PreprocessedCase> {
  const { tensors, metadata } = await readSafetensors(path);
  const affine = Float64Array.from(JSON.parse(metadata?.affine ?? "[]") as number[]);
  const inversion = JSON.parse(metadata?.inversion ?? "null") as InversionRecord | null;
  const image = tensors.get("image");
  if (!image || affine.length !== 16 || !inversion) {
    throw new DatasetLayoutError(path, "is not a preprocessed case", "delete the cache folder");
  }
  const toVolume = (tensor: HostTensor): Volume => ({
    data: tensor.data as Volume["data"],
    dims: [tensor.shape[3], tensor.shape[2], tensor.shape[1]] as Vec3,
    channels: tensor.shape[0],
    affine: Float64Array.from(affine),
    meta: { preprocessed: true },
  });
  const result: PreprocessedCase = { id, image: toVolume(image), inversion };
  const label = tensors.get("label");
  if (label) result.label = toVolume(label);
  return result;
}

async function removeStaleFiles(folder: string, keep: Set<string>): Promise<void> {
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && entry.name.endsWith(".safetensors") && !keep.has(entry.name)) {
      await Deno.remove(`${folder}/${entry.name}`).catch(() => {});
    }
  }
}

/**
 * Preprocesses every case of `dataset` by `plan` into `folder`, reusing cases already cached
 * there with the same plan and unchanged source files.
 *
 * @example
 * ```ts ignore
 * import { preprocessDatasetCached } from "./cache.ts";
 * const cached = await preprocessDatasetCached(dataset, plan, "cache/Task04");
 * console.log(cached.stats); // { hits: 208, misses: 0 } on a second run
 * const { image, label } = await cached.load(cached.ids[0]);
 * ```
 */
export async function preprocessDatasetCached(
  dataset: Dataset,
  plan: PreprocessingPlan,
  folder: string,
  options: CacheOptions = {},
): Promise<PreprocessedDataset> {
  await Deno.mkdir(folder, { recursive: true });
  const hash = await planHash(plan);
  const previous = await readManifest(folder);
  const cached = previous?.planHash === hash ? previous.cases : {};
  const refs = dataset.cases();
  const signatures = await Promise.all(refs.map(sourceSignature));
  const present = new Set<string>();
  for await (const entry of Deno.readDir(folder)) present.add(entry.name);
  const pending: number[] = [];
  refs.forEach((ref, n) => {
    const fileName = caseFile("", ref.id).slice(1);
    if (cached[ref.id] !== signatures[n] || !present.has(fileName)) pending.push(n);
  });
  if (previous?.planHash !== hash) {
    // The plan changed: nothing in the folder is valid any more.
    await removeStaleFiles(folder, new Set());
  }
  const cases: Record<string, string> = {};
  refs.forEach((ref, n) => {
    if (!pending.includes(n)) cases[ref.id] = signatures[n];
  });
  let done = 0, cursor = 0;
  const worker = async () => {
    while (cursor < pending.length) {
      const n = pending[cursor++];
      const ref = refs[n];
      const result = preprocessCase(await dataset.load(ref.id), plan);
      await writeCase(caseFile(folder, ref.id), hash, result);
      cases[ref.id] = signatures[n];
      options.onCase?.(ref.id, ++done, pending.length);
    }
  };
  const workers = Math.max(1, options.concurrency ?? 4);
  await Promise.all(Array.from({ length: workers }, worker));
  if (pending.length > 0 || previous?.planHash !== hash) {
    const manifest: CacheManifest = { version: 1, planHash: hash, plan, cases };
    await atomicWriteTextFile(`${folder}/${MANIFEST}`, JSON.stringify(manifest, null, 1) + "\n");
  }
  const ids = refs.map((ref) => ref.id);
  const known = new Set(ids);
  return {
    ids,
    plan,
    stats: { hits: refs.length - pending.length, misses: pending.length },
    load: (id: string) => {
      if (!known.has(id)) return Promise.reject(new UnknownCaseError(id, ids));
      return readCase(caseFile(folder, id), id);
    },
  };
}
