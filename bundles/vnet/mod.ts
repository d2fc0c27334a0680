/**
 * The V-Net bundle, registered as `vnet`: the network from the dataset's plan (features,
 * strides, anisotropy), at most five stages deep as in the paper.
 *
 * @module
 */

import { type BundleBuildOptions, registerBundle } from "../bundle.ts";
import { resolveVNetConfig, VNet, type VNetConfig, vnetDivisibility, VNetError } from "./vnet.ts";

export * from "./vnet.ts";
export * from "./stages.ts";

type Triple = [number, number, number];

/** The paper's depth: an input stage and four down stages. */
const MAX_STAGES = 5;

/**
 * The V-Net for a plan: the plan's first (up to five) stages' features and strides, 5-wide
 * kernels where the plan has 3-wide ones (1 stays 1 on anisotropic axes). `settings` (a
 * {@link VNetConfig} in JSON) override any of them; `baseFeatures` or `stages` there give
 * features `base·2^l`, and stages beyond the plan's get 2×2×2 strides and 5³ kernels. Throws a {@link VNetError} when the
 * plan's patch is not a multiple of the strides' product.
 *
 * @example
 * ```ts
 * import { vnetConfigFromPlan } from "./mod.ts";
 * import { planUNet } from "../unet/planner.ts";
 * const plan = planUNet({ spacing: [1, 1, 1], shape: [32, 32, 32], inChannels: 1, classes: 3 });
 * vnetConfigFromPlan({ inChannels: 1, classes: 3, plan }).features; // [32, 64, 128, 256]
 * ```
 */
export function vnetConfigFromPlan(options: BundleBuildOptions): VNetConfig {
  const { plan } = options;
  const settings = (options.settings ?? {}) as Partial<VNetConfig>;
  const stages = settings.features?.length ?? settings.stages ??
    Math.min(plan.features.length, MAX_STAGES);
  const base = settings.baseFeatures ?? plan.features[0];
  const byPlan = settings.baseFeatures === undefined && stages <= plan.features.length;
  // Stages deeper than the plan's fall back to the paper's 2×2×2 strides and 5³ kernels.
  const planned = <T>(values: readonly T[], fallback: T) =>
    Array.from({ length: stages }, (_, l) => values[l] ?? fallback);
  const config: VNetConfig = {
    features: byPlan
      ? plan.features.slice(0, stages)
      : Array.from({ length: stages }, (_, l) => base * 2 ** l),
    strides: planned<Triple>(plan.strides, [2, 2, 2]),
    kernelSizes: planned<Triple>(plan.kernelSizes, [3, 3, 3]).map((k) =>
      k.map((v) => (v === 1 ? 1 : 5)) as Triple
    ),
    ...settings,
    inChannels: options.inChannels,
    classes: options.classes,
  };
  const resolved = resolveVNetConfig(config);
  const multiple = vnetDivisibility(resolved.strides);
  if (plan.patchSize.some((p, a) => p % multiple[a] !== 0)) {
    throw new VNetError(
      `V-Net: the patch ${plan.patchSize.join("×")} is not a multiple of ` +
        `${multiple.join("×")} (strides ${JSON.stringify(resolved.strides)}); choose a patch ` +
        `of ${plan.patchSize.map((p, a) => Math.ceil(p / multiple[a]) * multiple[a]).join("×")}`,
    );
  }
  return config;
}

registerBundle({
  name: "vnet",
  description: "V-Net: residual 5×5×5 conv stages, strided-conv down, PReLU (no deep supervision)",
  deepSupervision: false,
  buildNetwork: (options) => new VNet(vnetConfigFromPlan(options)),
});
