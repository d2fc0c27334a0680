/**
 * Model bundles: one folder per family, registered by name.
 *
 * @module
 */

export * from "./bundle.ts";
export * from "./unet/mod.ts";
export * from "./vnet/mod.ts";
export * from "./unetr/mod.ts";
