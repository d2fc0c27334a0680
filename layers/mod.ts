/**
 * Layers: `Module` (parameter trees with PyTorch-style state dicts), layers and blocks,
 * deferred layer configuration (`LayerT`, placeholders, the JSON registry) and parameter
 * initialisers.
 *
 * @example
 * ```ts
 * import { ConvBlock, conv3x3x3T, groupNormT, leakyReluT } from "./mod.ts";
 * import { getGpu } from "../core/mod.ts";
 * await getGpu();
 * const block = new ConvBlock({
 *   inChannels: 1,
 *   outChannels: 16,
 *   conv: conv3x3x3T,
 *   norm: groupNormT(8),
 *   act: leakyReluT,
 * });
 * [...block.namedParameters().keys()]; // ["conv.weight", "conv.bias", "norm.weight", "norm.bias"]
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./module.ts";
export * from "./init.ts";
export * from "./linear.ts";
export * from "./conv.ts";
export * from "./normalization.ts";
export * from "./activation.ts";
export * from "./dropout.ts";
export * from "./identity.ts";
export * from "./pooling.ts";
export * from "./containers.ts";
export * from "./layert.ts";
export * from "./registry.ts";
export * from "./presets.ts";
export * from "./blocks.ts";
export * from "./transformer.ts";
