import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { memoryStats } from "../../../core/mod.ts";
import {
  foregroundLocations,
  type PatchCase,
  PatchSampler,
  PatchSamplingError,
  uploadPatchBatch,
} from "../../../data/sampling/mod.ts";
import { seededRandom, setupGpu } from "../../helpers.ts";

type Size = [number, number, number];

/** A case whose image value encodes the voxel: c·1000 + flat index; foreground is sparse. */
function makeCase(shape: Size, channels: number, seed: number): PatchCase {
  const voxels = shape[0] * shape[1] * shape[2];
  const image = Float32Array.from({ length: voxels * channels }, (_, i) => 1 + i);
  const label = new Uint8Array(voxels);
  const r = seededRandom(seed);
  for (let k = 0; k < 3; k++) label[Math.floor(r() * voxels)] = 1;
  label[Math.floor(r() * voxels)] = 2;
  return { image, label, shape, channels, foreground: foregroundLocations(label, [1, 2], 100) };
}

function value(item: PatchCase, c: number, z: number, y: number, x: number): number | undefined {
  const [D, H, W] = item.shape;
  if (z < 0 || z >= D || y < 0 || y >= H || x < 0 || x >= W) return undefined;
  return item.image[((c * D + z) * H + y) * W + x];
}

Deno.test("foregroundLocations: every class, capped, seeded, within the label", () => {
  const label = new Int32Array(500);
  for (let i = 0; i < 500; i += 3) label[i] = 1;
  label[7] = 4;
  const a = foregroundLocations(label, [1, 4, 9], 20, { seed: 5 });
  equal(a.get(1)!.length, 20);
  deepEqual([...a.get(4)!], [7]);
  equal(a.get(9)!.length, 0);
  ok([...a.get(1)!].every((i) => label[i] === 1));
  deepEqual(a.get(1), foregroundLocations(label, [1], 20, { seed: 5 }).get(1));
});

Deno.test("patches inside and across the border copy the volume and pad the rest", () => {
  const item = makeCase([6, 7, 9], 2, 1);
  for (
    const [padding, expectedPad] of [["zero", [0, 0]], ["minimum", [1, 1 + 6 * 7 * 9]]] as const
  ) {
    const sampler = new PatchSampler({
      patchSize: [8, 5, 12],
      imagePadding: padding,
      labelPadding: 255,
      seed: 2,
    });
    const batch = sampler.sample([item, item, item]);
    deepEqual(batch.shape, [3, 8, 5, 12, 2]);
    batch.origins.forEach((origin, n) => {
      // the volume is smaller along D and W: the patch is centred there
      equal(origin[0], -1);
      equal(origin[2], -1); // 3 missing: 1 before, 2 after
      ok(origin[1] >= 0 && origin[1] <= 2);
      for (let d = 0; d < 8; d++) {
        for (let h = 0; h < 5; h++) {
          for (let w = 0; w < 12; w++) {
            const v = ((n * 8 + d) * 5 + h) * 12 + w;
            const z: number = origin[0] + d;
            const y: number = origin[1] + h;
            const x: number = origin[2] + w;
            for (let c = 0; c < 2; c++) {
              equal(batch.image[v * 2 + c], value(item, c, z, y, x) ?? expectedPad[c]);
            }
            const inside: boolean = value(item, 0, z, y, x) !== undefined;
            equal(batch.label[v], inside ? item.label![(z * 7 + y) * 9 + x] : 255);
          }
        }
      }
    });
  }
});

Deno.test("oversampling: nnU-Net's last third is forced onto foreground", () => {
  const cases = [0, 1, 2, 3, 4, 5].map((s) => makeCase([20, 24, 22], 1, 10 + s));
  const sampler = new PatchSampler({ patchSize: [8, 8, 8], seed: 4 });
  let forced = 0;
  for (let round = 0; round < 20; round++) {
    const batch = sampler.sample(cases);
    deepEqual(batch.foreground, [false, false, false, false, true, true]);
    batch.foreground.forEach((isForced, n) => {
      if (!isForced) return;
      forced++;
      const patch = batch.label.subarray(n * 512, (n + 1) * 512);
      ok(patch.some((v) => v > 0), "a forced patch holds foreground");
    });
  }
  equal(forced, 40);
  const random = new PatchSampler({ patchSize: [8, 8, 8], seed: 4, foregroundMode: "random" });
  let count = 0;
  for (let round = 0; round < 100; round++) {
    count += random.sample(cases).foreground.filter(Boolean).length;
  }
  ok(count > 150 && count < 250, `random oversampling fraction ${count / 600}`);
});

Deno.test("sampling is deterministic from the seed and resumes exactly from a state", () => {
  const cases = [makeCase([12, 13, 14], 1, 1), makeCase([12, 13, 14], 1, 2)];
  const a = new PatchSampler({ patchSize: [6, 6, 6], seed: 9 });
  const b = new PatchSampler({ patchSize: [6, 6, 6], seed: 9 });
  deepEqual(a.sample(cases), b.sample(cases));
  deepEqual(a.chooseCases(5, 10), b.chooseCases(5, 10));
  const state = a.state();
  const next = a.sample(cases);
  const c = new PatchSampler({ patchSize: [6, 6, 6], seed: 1 });
  c.setState(state);
  deepEqual(c.sample(cases), next);
  throws(() => a.sample([makeCase([4, 4, 4], 2, 1), cases[0]]), PatchSamplingError);
});

Deno.test("uploadPatchBatch gives channels-last f32 image and i32 label", async () => {
  await setupGpu();
  const start = memoryStats().liveBuffers;
  const sampler = new PatchSampler({ patchSize: [3, 4, 5], seed: 1 });
  const batch = sampler.sample([makeCase([5, 5, 5], 2, 3), makeCase([5, 5, 5], 2, 4)]);
  const { image, label } = uploadPatchBatch(batch);
  deepEqual(image.shape, [2, 3, 4, 5, 2]);
  deepEqual(label.shape, [2, 3, 4, 5]);
  equal(label.dtype, "i32");
  deepEqual(await image.read(), batch.image);
  deepEqual(await label.read(), batch.label);
  image.dispose();
  label.dispose();
  equal(memoryStats().liveBuffers, start);
});
