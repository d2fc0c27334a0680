/** Small synthetic volumes and dataset folders shared by the dataset and preprocessing tests. */

import { writeVolume } from "../../../data/formats/mod.ts";
import { affineFromParts, type Vec3 } from "../../../data/geometry.ts";
import type { Volume, VoxelArray } from "../../../data/volume.ts";

/** The Task04 Hippocampus folder, or `undefined` (with a message) when it is absent. */
export const HIPPOCAMPUS: string | undefined = (() => {
  const path = new URL("../../../../shared/data/Task04_Hippocampus", import.meta.url).pathname;
  try {
    if (Deno.statSync(`${path}/dataset.json`).isFile) return path;
  } catch {
    // absent: reported below
  }
  console.log(`skipping Task04_Hippocampus tests: ${path} is absent`);
  return undefined;
})();

/** Deterministic uniform numbers in [0, 1) for test inputs. */
export function testRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** An anisotropic, translated (and optionally rotated) test affine. */
export function testAffine(spacing: Vec3 = [0.8, 1.2, 2], rotated = false): Float64Array {
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const direction = rotated ? [c, -s, 0, s, c, 0, 0, 0, 1] : undefined;
  return affineFromParts({ spacing, origin: [-10.5, 4.25, 7], direction });
}

/** A volume built from `data`. */
export function volumeOf(
  data: VoxelArray,
  dims: Vec3,
  affine: Float64Array = testAffine(),
  channels = 1,
): Volume {
  return { data, dims, channels, affine, meta: {} };
}

/** Random float32 image. */
export function randomImage(dims: Vec3, seed: number, channels = 1, affine?: Float64Array): Volume {
  const random = testRandom(seed);
  const data = new Float32Array(dims[0] * dims[1] * dims[2] * channels).map(() =>
    random() * 100 - 20
  );
  return volumeOf(data, dims, affine, channels);
}

/** A label map with a box of class 1 and a smaller box of class 2 inside it. */
export function boxLabel(dims: Vec3, affine?: Float64Array): Volume {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  let n = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, n++) {
        const inner = (axisIndex: number, size: number, margin: number) =>
          axisIndex >= margin && axisIndex < size - margin;
        if (inner(i, dims[0], 1) && inner(j, dims[1], 1) && inner(k, dims[2], 1)) data[n] = 1;
        if (inner(i, dims[0], 2) && inner(j, dims[1], 2) && k === Math.floor(dims[2] / 2)) {
          data[n] = 2;
        }
      }
    }
  }
  return volumeOf(data, dims, affine);
}

/** Writes volumes as `.nii.gz` files: path → volume. */
export async function writeVolumes(files: Record<string, Volume>): Promise<void> {
  for (const [path, volume] of Object.entries(files)) {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await writeVolume(path, volume);
  }
}
