/**
 * Training patch sampling: foreground locations per class, seeded random and
 * foreground-oversampled patches with padding, and upload of channels-last batches.
 *
 * @example
 * ```ts ignore
 * import { foregroundLocations, PatchSampler, uploadPatchBatch } from "./mod.ts";
 * const foreground = foregroundLocations(label, [1, 2], 10000, { seed: 0 });
 * const sampler = new PatchSampler({ patchSize: [64, 64, 64], seed: 1 });
 * const batch = sampler.sample([{ image, label, shape: [d, h, w], channels: 1, foreground }]);
 * const tensors = uploadPatchBatch(batch);
 * ```
 *
 * @module
 */

export { foregroundLocations } from "./foreground.ts";
export type { ForegroundLocations, ForegroundOptions, LabelArray } from "./foreground.ts";
export { drawBetween, drawChance, drawIndex, drawUniform } from "./host_random.ts";
export { extractImagePatch, extractLabelPatch } from "./patch.ts";
export type { Box3 } from "./patch.ts";
export { PatchSampler, PatchSamplingError, uploadPatchBatch } from "./patch_sampler.ts";
export type { PatchBatch, PatchCase, PatchSamplerOptions } from "./patch_sampler.ts";
