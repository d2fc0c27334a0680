/**
 * Ready-made LayerTs for the usual 3-D segmentation blocks (nnU-Net's defaults): a 3×3×3
 * convolution with padding 1, affine instance norm, LeakyReLU(0.01), and a group norm
 * whose group count is derived from the same channel placeholder as its channel count.
 *
 * @module
 */

import { type LayerT, placeholder } from "./layert.ts";
import { layerT } from "./registry.ts";

/** Conv3d(inChannels → outChannels, kernel 3, padding 1). */
export const conv3x3x3T: LayerT = layerT("Conv3d", {
  inChannels: placeholder("inChannels"),
  outChannels: placeholder("outChannels"),
  kernelSize: 3,
  padding: 1,
});

/** Affine InstanceNorm over `channels`, eps 1e-5. */
export const instanceNormT: LayerT = layerT("InstanceNorm", {
  numFeatures: placeholder("channels"),
  eps: 1e-5,
  affine: true,
});

/** LeakyReLU with slope 0.01. */
export const leakyReluT: LayerT = layerT("LeakyReLU", { negativeSlope: 0.01 });

/**
 * GroupNorm over `channels` with `channels / channelsPerGroup` groups: one placeholder
 * fills both arguments.
 *
 * @example
 * ```ts
 * import { groupNormT } from "./presets.ts";
 * const norm = groupNormT(8).assemble({ channels: 32 }); // 4 groups of 8 channels
 * ```
 */
export function groupNormT(channelsPerGroup = 8): LayerT {
  return layerT("GroupNorm", {
    numGroups: placeholder(
      "channels",
      (c: number) => Math.max(1, Math.floor(c / channelsPerGroup)),
    ),
    numChannels: placeholder("channels"),
  });
}
