/**
 * A small synthetic multi-class 3-D dataset in the MSD layout (no download): noisy
 * volumes holding an ellipsoid (class 1) and a box (class 2) at random places, written as
 * NIfTI with a non-trivial affine so geometry is exercised end to end.
 *
 * @module
 */

import { writeVolume } from "../data/formats/mod.ts";
import type { Volume } from "../data/volume.ts";
import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";

/** Settings of {@link writeSyntheticDataset}. */
export interface SyntheticDatasetOptions {
  /** Number of labelled cases (default 24). */
  cases?: number;
  /** Volume size (i, j, k) (default [32, 32, 24]). */
  size?: [number, number, number];
  /** Voxel spacing in mm (default [1, 1, 1.5]). */
  spacing?: [number, number, number];
  /** Noise standard deviation (default 0.35). */
  noise?: number;
  /** Seed (default 1). */
  seed?: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One synthetic case: image and label volumes sharing a grid. */
export function syntheticCase(
  index: number,
  options: SyntheticDatasetOptions = {},
): { image: Volume; label: Volume } {
  const [ni, nj, nk] = options.size ?? [32, 32, 24];
  const spacing = options.spacing ?? [1, 1, 1.5];
  const noise = options.noise ?? 0.35;
  const random = mulberry32((options.seed ?? 1) * 7919 + index);
  const image = new Float32Array(ni * nj * nk);
  const label = new Uint8Array(ni * nj * nk);
  const radius = [3 + 3 * random(), 3 + 3 * random(), 2 + 2 * random()];
  const centre = [0, 1, 2].map((a) =>
    radius[a] + 1 + random() * ([ni, nj, nk][a] / 2 - radius[a] - 2)
  );
  const boxSize = [
    7 + Math.floor(4 * random()),
    7 + Math.floor(4 * random()),
    5 + Math.floor(3 * random()),
  ];
  const boxStart = [0, 1, 2].map((a) =>
    Math.floor([ni, nj, nk][a] / 2 + random() * ([ni, nj, nk][a] / 2 - boxSize[a] - 1))
  );
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const v = (k * nj + j) * ni + i;
        const e = ((i - centre[0]) / radius[0]) ** 2 + ((j - centre[1]) / radius[1]) ** 2 +
          ((k - centre[2]) / radius[2]) ** 2;
        const inBox = i >= boxStart[0] && i < boxStart[0] + boxSize[0] && j >= boxStart[1] &&
          j < boxStart[1] + boxSize[1] && k >= boxStart[2] && k < boxStart[2] + boxSize[2];
        label[v] = e <= 1 ? 1 : inBox ? 2 : 0;
        // Bright ellipsoid, dark box: each class differs from the background in its own way.
        const base = label[v] === 1 ? 1 : label[v] === 2 ? -0.9 : 0.1;
        const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        image[v] = 100 * (base + noise * gaussian);
      }
    }
  }
  // An oblique-free but shifted, LPS-flipped affine: RAS x and y decrease with i and j.
  const affine = Float64Array.from([
    -spacing[0],
    0,
    0,
    90,
    0,
    -spacing[1],
    0,
    110,
    0,
    0,
    spacing[2],
    -40,
    0,
    0,
    0,
    1,
  ]);
  const make = (data: Float32Array | Uint8Array): Volume => ({
    data,
    dims: [ni, nj, nk],
    channels: 1,
    affine: Float64Array.from(affine),
    meta: {},
  });
  return { image: make(image), label: make(label) };
}

/**
 * Writes a synthetic dataset to `root` in the MSD layout (imagesTr, labelsTr,
 * dataset.json) and returns the root.
 *
 * @example
 * ```ts ignore
 * const root = await writeSyntheticDataset(await Deno.makeTempDir(), { cases: 12 });
 * ```
 */
export async function writeSyntheticDataset(
  root: string,
  options: SyntheticDatasetOptions = {},
): Promise<string> {
  const count = options.cases ?? 24;
  await Deno.mkdir(`${root}/imagesTr`, { recursive: true });
  await Deno.mkdir(`${root}/labelsTr`, { recursive: true });
  const training: Array<{ image: string; label: string }> = [];
  for (let c = 0; c < count; c++) {
    const id = `synthetic_${String(c).padStart(3, "0")}`;
    const { image, label } = syntheticCase(c, options);
    await writeVolume(`${root}/imagesTr/${id}.nii.gz`, image);
    await writeVolume(`${root}/labelsTr/${id}.nii.gz`, label);
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  const description = {
    name: "Synthetic",
    description: "mipcandy synthetic demo: an ellipsoid (1) and a box (2) in noise",
    modality: { "0": "MRI" },
    labels: { "0": "background", "1": "ellipsoid", "2": "box" },
    numTraining: count,
    training,
    test: [],
  };
  await atomicWriteTextFile(`${root}/dataset.json`, JSON.stringify(description, null, 1) + "\n");
  return root;
}
