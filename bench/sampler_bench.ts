/**
 * Sampler and augmentation throughput: one training batch of 2 single-channel patches
 * sampled on the host (with nnU-Net's enlarged input patch), uploaded, and augmented on the
 * GPU. Patches per second = 2000 / ms_median.
 */

import {
  augmentationConfig,
  augmentationInputSize,
  type AugmentationOverrides,
  BatchAugmenter,
} from "../data/augmentation/mod.ts";
import {
  foregroundLocations,
  type PatchCase,
  PatchSampler,
  uploadPatchBatch,
} from "../data/sampling/mod.ts";
import type { BenchCase } from "./harness.ts";

type Size = [number, number, number];

/** A synthetic preprocessed case: smooth-ish intensities and a blob of foreground. */
function syntheticCase(shape: Size, seed: number): PatchCase {
  const [D, H, W] = shape;
  const image = new Float32Array(D * H * W);
  const label = new Uint8Array(D * H * W);
  const noise = Array.from({ length: 64 }, (_, i) => Math.sin(i * 12.9898 + seed));
  for (let d = 0, i = 0; d < D; d++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++, i++) {
        image[i] = Math.sin(d / 7) + Math.cos(h / 5) + noise[(w + d) & 63];
        const r2 = ((d - D / 2) / (D / 6)) ** 2 + ((h - H / 2) / (H / 6)) ** 2 +
          ((w - W / 3) / (W / 8)) ** 2;
        label[i] = r2 < 1 ? (r2 < 0.3 ? 2 : 1) : 0;
      }
    }
  }
  return {
    image,
    label,
    shape,
    channels: 1,
    foreground: foregroundLocations(label, [1, 2], 10000, { seed }),
  };
}

const ALWAYS: AugmentationOverrides = {
  rotation: { probability: 1 },
  scaling: { probability: 1 },
  noise: { probability: 1 },
  blur: { probability: 1, channelProbability: 1 },
  brightness: { probability: 1 },
  contrast: { probability: 1 },
  lowResolution: { probability: 1, channelProbability: 1 },
  invertedGamma: { probability: 1 },
  gamma: { probability: 1 },
};

function samplerCase(
  label: string,
  patch: Size,
  volume: Size,
  overrides: AugmentationOverrides,
): BenchCase {
  const config = augmentationConfig(overrides);
  const input = augmentationInputSize(patch, config, volume);
  return {
    name: "sampler+augment",
    params: { patch: patch.join("x"), input: input.join("x"), batch: 2, augment: label },
    runs: 5,
    setup: () => {
      const cases = [syntheticCase(volume, 1), syntheticCase(volume, 2)];
      const sampler = new PatchSampler({ patchSize: input, seed: 1 });
      const augmenter = new BatchAugmenter({ outputSize: patch, config: overrides, seed: 1 });
      return Promise.resolve({
        run: () => {
          const batch = uploadPatchBatch(sampler.sample(cases));
          const out = augmenter.augment(batch.image, batch.label);
          for (const t of [batch.image, batch.label, out.image, out.label]) t.dispose();
        },
        dispose: () => {},
      });
    },
  };
}

/** Benchmarks of patch sampling plus GPU augmentation (batch 2, one channel). */
export const samplerBenchmarks: BenchCase[] = [
  samplerCase("all p=1", [64, 64, 64], [160, 160, 160], ALWAYS),
  samplerCase("nnU-Net p", [64, 64, 64], [160, 160, 160], {}),
  samplerCase("all p=1", [40, 56, 40], [48, 64, 48], ALWAYS),
  samplerCase("nnU-Net p", [40, 56, 40], [48, 64, 48], {}),
];
