/**
 * The U-Net bundle: nnU-Net's plain conv U-Net and its planner.
 *
 * @module
 */

import { registerBundle } from "../bundle.ts";
import { PlainConvUNet } from "./plain_conv_unet.ts";

export * from "./plain_conv_unet.ts";
export * from "./planner.ts";

registerBundle({
  name: "unet",
  description: "nnU-Net's plain conv U-Net (instance norm, LeakyReLU, deep supervision)",
  deepSupervision: true,
  buildNetwork: ({ inChannels, classes, plan, settings }) =>
    new PlainConvUNet({
      inChannels,
      classes,
      features: plan.features,
      strides: plan.strides,
      kernelSizes: plan.kernelSizes,
      ...(settings ?? {}),
    }),
});
