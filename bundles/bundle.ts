/**
 * The bundle contract: everything a model family needs to plug into the trainer, the
 * predictor and the command line — a network built from a config, and its defaults.
 *
 * @module
 */

import type { Tensor } from "../core/mod.ts";
import type { Module } from "../layers/module.ts";
import type { UNetPlan } from "./unet/planner.ts";

/** A network that maps (N, D, H, W, C) to logits, or to deep-supervision outputs. */
export type SegmentationNetwork = Module<[Tensor], Tensor | Tensor[]>;

/** What a bundle is told when it builds a network. */
export interface BundleBuildOptions {
  /** Image channels. */
  inChannels: number;
  /** Classes including background. */
  classes: number;
  /** The dataset plan (patch size, strides, kernel sizes, features). */
  plan: UNetPlan;
  /** Bundle-specific settings (JSON), e.g. from a config file. */
  settings?: Record<string, unknown>;
}

/** One model family. */
export interface Bundle {
  /** Registry name, e.g. `unet`. */
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  /** Builds the network. */
  buildNetwork(options: BundleBuildOptions): SegmentationNetwork;
  /** Whether the network returns deep-supervision outputs in training mode. */
  readonly deepSupervision: boolean;
}

const bundles = new Map<string, Bundle>();

/** Adds a bundle to the registry (names are unique). */
export function registerBundle(bundle: Bundle): void {
  if (bundles.has(bundle.name)) throw new Error(`bundle "${bundle.name}" is already registered`);
  bundles.set(bundle.name, bundle);
}

/** A registered bundle by name; unknown names list the known ones. */
export function getBundle(name: string): Bundle {
  const bundle = bundles.get(name);
  if (!bundle) {
    throw new Error(`unknown bundle "${name}"; available: ${[...bundles.keys()].join(", ")}`);
  }
  return bundle;
}

/** Names of the registered bundles. */
export function bundleNames(): string[] {
  return [...bundles.keys()];
}
