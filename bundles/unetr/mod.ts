/**
 * The UNETR bundle: a ViT encoder over 3-D patches with a convolutional decoder
 * (Hatamizadeh et al. 2022), registered as `unetr`.
 *
 * @module
 */

import { registerBundle } from "../bundle.ts";
import { UNETR, type UNETRConfig } from "./unetr.ts";

export * from "./unetr.ts";

registerBundle({
  name: "unetr",
  description: "UNETR: a ViT encoder over 3-D patches with a conv decoder (no deep supervision)",
  deepSupervision: false,
  buildNetwork: ({ inChannels, classes, plan, settings }) =>
    new UNETR({
      ...(settings ?? {}) as Partial<UNETRConfig>,
      inChannels,
      classes,
      inputSize: [...plan.patchSize],
    }),
});
