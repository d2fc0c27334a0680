/**
 * The dataset fingerprint: per-case geometry, foreground extent, class sizes and foreground
 * intensity statistics, plus the dataset-level summary that a preprocessing plan is derived
 * from (median spacing and shape, intensity percentiles pooled over sampled foreground voxels
 * of every case, as nnU-Net computes them).
 *
 * @module
 */

import { spacingFromAffine, type Vec3 } from "../geometry.ts";
import type { Dataset, LoadedCase } from "../datasets/dataset.ts";
import { seededRandom } from "../splits/seeded_random.ts";
import {
  type BoundingBox,
  boxSize,
  foregroundBoundingBox,
  nonzeroBoundingBox,
} from "./bounding_box.ts";
import { type IntensityStatistics, intensityStatistics, median } from "./statistics.ts";

/** What the fingerprint records about one case. */
export interface CaseFingerprint {
  /** Case identifier. */
  id: string;
  /** Voxel counts `[ni, nj, nk]`. */
  dims: Vec3;
  /** Voxel size in mm along i, j, k. */
  spacing: Vec3;
  /** Number of image channels. */
  channels: number;
  /** Box around voxels nonzero in any channel (the crop nnU-Net applies); whole volume if none. */
  nonzeroBox: BoundingBox;
  /** Box around the label's foreground; absent when the case has no label or no foreground. */
  foregroundBox?: BoundingBox;
  /** Voxels per label value, keyed by the value as a string (`"0"` is background). */
  classVoxelCounts: Record<string, number>;
  /** Intensity statistics over foreground voxels (label > 0), one entry per channel. */
  foregroundIntensity: IntensityStatistics[];
}

/** The whole dataset's fingerprint. */
export interface DatasetFingerprint {
  /** Format version of this JSON. */
  version: 1;
  /** Per-case records, in the dataset's case order. */
  cases: CaseFingerprint[];
  /** Median voxel size over cases, per axis. */
  medianSpacing: Vec3;
  /** Median dims after cropping to the nonzero box, per axis. */
  medianShape: Vec3;
  /** Label values seen in any case, ascending. */
  labelValues: number[];
  /** Statistics of foreground voxels sampled from every case and pooled, per channel. */
  foregroundIntensity: IntensityStatistics[];
  /** Foreground voxels sampled per case for the pooled statistics. */
  samplesPerCase: number;
}

/** Options for {@link fingerprintDataset}. */
export interface FingerprintOptions {
  /**
   * Foreground voxels sampled (with replacement) from each case for the pooled statistics.
   * Default `min(1e5, floor(1e7 / cases))`: a fixed total budget spread over the cases, as
   * nnU-Net does, capped so small datasets stay quick.
   */
  samplesPerCase?: number;
  /** Seed of the sampling (default 1234). */
  seed?: number;
  /** Cases loaded at once (default 4). */
  concurrency?: number;
}

/** One case's fingerprint and the foreground samples drawn from it, per channel. */
export interface CaseFingerprintWithSamples {
  /** The per-case record. */
  fingerprint: CaseFingerprint;
  /** Sampled foreground intensities, one array per channel. */
  samples: Float32Array[];
}

/**
 * Fingerprints one loaded case and draws `samplesPerCase` foreground intensities per channel
 * (uniformly with replacement; none when the case has no foreground).
 */
export function fingerprintCase(
  loaded: LoadedCase,
  samplesPerCase = 0,
  seed = 0,
): CaseFingerprintWithSamples {
  const { image, label } = loaded;
  const voxels = image.dims[0] * image.dims[1] * image.dims[2];
  const classVoxelCounts: Record<string, number> = {};
  const foregroundIndices: number[] = [];
  if (label) {
    const counts = new Map<number, number>();
    const values = label.data;
    for (let n = 0; n < voxels; n++) {
      const value = values[n];
      counts.set(value, (counts.get(value) ?? 0) + 1);
      if (value > 0) foregroundIndices.push(n);
    }
    for (const value of [...counts.keys()].sort((a, b) => a - b)) {
      classVoxelCounts[String(value)] = counts.get(value)!;
    }
  }
  const foregroundIntensity: IntensityStatistics[] = [];
  const samples: Float32Array[] = [];
  const random = seededRandom(seed);
  for (let channel = 0; channel < image.channels; channel++) {
    const base = channel * voxels;
    const values = new Float64Array(foregroundIndices.length);
    for (let n = 0; n < values.length; n++) values[n] = image.data[base + foregroundIndices[n]];
    foregroundIntensity.push(intensityStatistics(values));
    const drawn = new Float32Array(values.length ? samplesPerCase : 0);
    for (let n = 0; n < drawn.length; n++) {
      drawn[n] = values[Math.floor(random() * values.length)];
    }
    samples.push(drawn);
  }
  const fingerprint: CaseFingerprint = {
    id: loaded.id,
    dims: [...image.dims],
    spacing: spacingFromAffine(image.affine),
    channels: image.channels,
    nonzeroBox: nonzeroBoundingBox(image) ??
      { start: [0, 0, 0], end: [image.dims[0], image.dims[1], image.dims[2]] },
    classVoxelCounts,
    foregroundIntensity,
  };
  const foregroundBox = label ? foregroundBoundingBox(label) : undefined;
  if (foregroundBox) fingerprint.foregroundBox = foregroundBox;
  return { fingerprint, samples };
}

/** Per-axis median of 3-vectors. */
function medianVec(vectors: readonly Vec3[]): Vec3 {
  return [0, 1, 2].map((axis) => median(vectors.map((v) => v[axis]))) as Vec3;
}

/**
 * Builds the dataset-level summary from per-case results (pooled statistics over the
 * concatenated samples of every case).
 */
export function summariseFingerprints(
  results: readonly CaseFingerprintWithSamples[],
  samplesPerCase: number,
): DatasetFingerprint {
  const cases = results.map((result) => result.fingerprint);
  const channels = cases.length ? cases[0].channels : 0;
  const foregroundIntensity = Array.from({ length: channels }, (_, channel) => {
    const total = results.reduce((sum, result) => sum + result.samples[channel].length, 0);
    const pooled = new Float64Array(total);
    let offset = 0;
    for (const result of results) {
      pooled.set(result.samples[channel], offset);
      offset += result.samples[channel].length;
    }
    return intensityStatistics(pooled);
  });
  const labelValues = [
    ...new Set(cases.flatMap((c) => Object.keys(c.classVoxelCounts).map(Number))),
  ].sort((a, b) => a - b);
  return {
    version: 1,
    cases,
    medianSpacing: medianVec(cases.map((c) => c.spacing)),
    medianShape: medianVec(cases.map((c) => boxSize(c.nonzeroBox))),
    labelValues,
    foregroundIntensity,
    samplesPerCase,
  };
}

/**
 * Loads every case of a dataset and fingerprints it.
 *
 * @example
 * ```ts ignore
 * import { fingerprintDataset, saveFingerprint } from "./fingerprint.ts";
 * const fingerprint = await fingerprintDataset(dataset);
 * console.log(fingerprint.medianSpacing, fingerprint.foregroundIntensity[0].percentile99_5);
 * await saveFingerprint("fingerprint.json", fingerprint);
 * ```
 */
export async function fingerprintDataset(
  dataset: Dataset,
  options: FingerprintOptions = {},
): Promise<DatasetFingerprint> {
  const refs = dataset.cases();
  const samplesPerCase = options.samplesPerCase ??
    Math.min(100_000, Math.floor(1e7 / Math.max(refs.length, 1)));
  const seed = options.seed ?? 1234;
  const results: CaseFingerprintWithSamples[] = new Array(refs.length);
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const index = next++;
      const loaded = await dataset.load(refs[index].id);
      results[index] = fingerprintCase(loaded, samplesPerCase, seed + index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return summariseFingerprints(results, samplesPerCase);
}
