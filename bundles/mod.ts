/**
 * Model bundles: one folder per family, registered by name.
 *
 * @module
 */

export * from "./bundle.ts";
export * from "./unet/mod.ts";
