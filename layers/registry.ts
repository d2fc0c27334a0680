/**
 * The registry of layer kinds: names that JSON configurations and {@link layerT} use to
 * build {@link LayerT}s, with each kind's valid argument names.
 *
 * @module
 */

import {
  type Deferred,
  isPlaceholderJSON,
  LayerConfigError,
  LayerT,
  type LayerTJSON,
  placeholderFromJSON,
} from "./layert.ts";
import type { AnyModule } from "./module.ts";
import { Linear, type LinearOptions } from "./linear.ts";
import { Identity } from "./identity.ts";
import { ELU, GELU, LeakyReLU, PReLU, ReLU, Sigmoid, Tanh } from "./activation.ts";
import {
  Conv2d,
  type Conv2dLayerOptions,
  Conv3d,
  type Conv3dLayerOptions,
  ConvTranspose3d,
  type ConvTranspose3dLayerOptions,
} from "./conv.ts";
import { Dropout, type DropoutLayerOptions } from "./dropout.ts";
import {
  BatchNorm,
  type BatchNormLayerOptions,
  GroupNorm,
  type GroupNormLayerOptions,
  InstanceNorm,
  type InstanceNormLayerOptions,
  LayerNorm,
  type LayerNormLayerOptions,
} from "./normalization.ts";
import {
  AvgPool3d,
  MaxPool3d,
  type Pool3dLayerOptions,
  Upsample,
  type UpsampleOptions,
} from "./pooling.ts";

/** How to build one layer kind. */
export interface LayerKindSpec {
  /** Builds the module from resolved arguments. */
  create(args: Record<string, unknown>): AnyModule;
  /** Every argument name the kind accepts. */
  args: readonly string[];
}

/** Arguments of the built-in kinds, for typed {@link layerT} calls. */
export interface BuiltinLayerArgs {
  /** {@link Linear}. */
  Linear: LinearOptions;
  /** {@link Conv3d}. */
  Conv3d: Conv3dLayerOptions;
  /** {@link Conv2d}. */
  Conv2d: Conv2dLayerOptions;
  /** {@link ConvTranspose3d}. */
  ConvTranspose3d: ConvTranspose3dLayerOptions;
  /** {@link Dropout}. */
  Dropout: DropoutLayerOptions;
  /** {@link LeakyReLU}. */
  LeakyReLU: { negativeSlope?: number; inplace?: boolean };
  /** {@link PReLU}. */
  PReLU: { numParameters?: number; init?: number };
  /** {@link ELU}. */
  ELU: { alpha?: number; inplace?: boolean };
  /** {@link GELU}. */
  GELU: { approximate?: "none" | "tanh" };
  /** {@link Identity}. */
  Identity: Record<string, never>;
  /** {@link ReLU}. */
  ReLU: { inplace?: boolean };
  /** {@link Sigmoid}. */
  Sigmoid: Record<string, never>;
  /** {@link Tanh}. */
  Tanh: Record<string, never>;
  /** {@link InstanceNorm}. */
  InstanceNorm: InstanceNormLayerOptions;
  /** {@link InstanceNorm} (PyTorch's name). */
  InstanceNorm3d: InstanceNormLayerOptions;
  /** {@link GroupNorm}. */
  GroupNorm: GroupNormLayerOptions;
  /** {@link BatchNorm}. */
  BatchNorm: BatchNormLayerOptions;
  /** {@link BatchNorm} (PyTorch's name). */
  BatchNorm3d: BatchNormLayerOptions;
  /** {@link LayerNorm}. */
  LayerNorm: LayerNormLayerOptions;
  /** {@link MaxPool3d}. */
  MaxPool3d: Pool3dLayerOptions;
  /** {@link AvgPool3d}. */
  AvgPool3d: Pool3dLayerOptions;
  /** {@link Upsample}. */
  Upsample: UpsampleOptions;
}

const registry = new Map<string, LayerKindSpec>();

/**
 * Adds a layer kind (a bundle's own layer, say) so configurations can name it. Throws if
 * the name is taken, unless `replace` is set.
 */
export function registerLayerKind(name: string, spec: LayerKindSpec, replace = false): void {
  if (registry.has(name) && !replace) {
    throw new LayerConfigError(`layer kind "${name}" is already registered`);
  }
  registry.set(name, { create: spec.create, args: Object.freeze([...spec.args]) });
}

/** Names of every registered kind, sorted. */
export function layerKinds(): string[] {
  return [...registry.keys()].sort();
}

function specOf(kind: string): LayerKindSpec {
  const spec = registry.get(kind);
  if (!spec) {
    throw new LayerConfigError(`unknown layer kind "${kind}"; known: ${layerKinds().join(", ")}`);
  }
  return spec;
}

/**
 * A LayerT of a registered kind; argument names are checked against the kind.
 *
 * @example
 * ```ts
 * import { layerT } from "./registry.ts";
 * import { placeholder } from "./layert.ts";
 * const norm = layerT("GroupNorm", {
 *   numGroups: placeholder("channels", (c: number) => c / 8),
 *   numChannels: placeholder("channels"),
 * });
 * ```
 */
export function layerT<K extends keyof BuiltinLayerArgs>(
  kind: K,
  args?: Deferred<BuiltinLayerArgs[K]>,
): LayerT;
/** A LayerT of any registered kind (untyped arguments). */
export function layerT(kind: string, args?: Readonly<Record<string, unknown>>): LayerT;
export function layerT(kind: string, args: Readonly<Record<string, unknown>> = {}): LayerT {
  const spec = specOf(kind);
  return new LayerT(kind, spec.create, args, spec.args);
}

/**
 * Builds a LayerT from a plain JSON configuration `{ "kind": …, "args": { … } }`;
 * placeholders are written `{ "$placeholder": "channels" }` (optionally with
 * `"divideBy": n`). Unknown kinds and arguments are rejected with the valid ones listed.
 *
 * @example
 * ```ts
 * import { layerTFromJSON } from "./registry.ts";
 * const norm = layerTFromJSON({
 *   kind: "InstanceNorm",
 *   args: { numFeatures: { $placeholder: "channels" }, affine: true },
 * });
 * ```
 */
export function layerTFromJSON(config: LayerTJSON): LayerT {
  if (typeof config !== "object" || config === null || typeof config.kind !== "string") {
    throw new LayerConfigError(
      `a layer configuration needs { "kind": string, "args"?: object }, got ${
        JSON.stringify(config)
      }`,
    );
  }
  const extra = Object.keys(config).filter((k) => k !== "kind" && k !== "args");
  if (extra.length) {
    throw new LayerConfigError(
      `layer configuration has unknown fields ${extra.join(", ")}; valid: kind, args`,
    );
  }
  const raw = config.args ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new LayerConfigError(`"args" of ${config.kind} must be an object`);
  }
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    args[k] = isPlaceholderJSON(v) ? placeholderFromJSON(v) : v;
  }
  return layerT(config.kind, args);
}

const builtins: Array<[string, LayerKindSpec]> = [
  ["Linear", {
    create: (a) => new Linear(a as unknown as LinearOptions),
    args: ["inFeatures", "outFeatures", "bias", "generator"],
  }],
  ["Conv3d", {
    create: (a) => new Conv3d(a as unknown as Conv3dLayerOptions),
    args: [
      "inChannels",
      "outChannels",
      "kernelSize",
      "stride",
      "padding",
      "dilation",
      "bias",
      "generator",
    ],
  }],
  ["Conv2d", {
    create: (a) => new Conv2d(a as unknown as Conv2dLayerOptions),
    args: [
      "inChannels",
      "outChannels",
      "kernelSize",
      "stride",
      "padding",
      "dilation",
      "bias",
      "generator",
    ],
  }],
  ["ConvTranspose3d", {
    create: (a) => new ConvTranspose3d(a as unknown as ConvTranspose3dLayerOptions),
    args: ["inChannels", "outChannels", "kernelSize", "stride", "bias", "generator"],
  }],
  ["Dropout", {
    create: (a) => new Dropout(a as DropoutLayerOptions),
    args: ["p", "generator"],
  }],
  ["LeakyReLU", { create: (a) => new LeakyReLU(a), args: ["negativeSlope", "inplace"] }],
  ["PReLU", { create: (a) => new PReLU(a), args: ["numParameters", "init"] }],
  ["ELU", { create: (a) => new ELU(a), args: ["alpha", "inplace"] }],
  ["GELU", { create: (a) => new GELU(a), args: ["approximate"] }],
  ["Identity", { create: () => new Identity(), args: [] }],
  ["ReLU", { create: () => new ReLU(), args: ["inplace"] }],
  ["Sigmoid", { create: () => new Sigmoid(), args: [] }],
  ["Tanh", { create: () => new Tanh(), args: [] }],
  ["InstanceNorm", {
    create: (a) => new InstanceNorm(a as unknown as InstanceNormLayerOptions),
    args: ["numFeatures", "eps", "affine"],
  }],
  ["GroupNorm", {
    create: (a) => new GroupNorm(a as unknown as GroupNormLayerOptions),
    args: ["numGroups", "numChannels", "eps", "affine"],
  }],
  ["BatchNorm", {
    create: (a) => new BatchNorm(a as unknown as BatchNormLayerOptions),
    args: ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"],
  }],
  ["LayerNorm", {
    create: (a) => new LayerNorm(a as unknown as LayerNormLayerOptions),
    args: ["normalizedShape", "eps", "elementwiseAffine"],
  }],
  ["MaxPool3d", {
    create: (a) => new MaxPool3d(a as unknown as Pool3dLayerOptions),
    args: ["kernelSize", "stride", "padding"],
  }],
  ["AvgPool3d", {
    create: (a) => new AvgPool3d(a as unknown as Pool3dLayerOptions),
    args: ["kernelSize", "stride", "padding"],
  }],
  ["Upsample", {
    create: (a) => new Upsample(a as unknown as UpsampleOptions),
    args: ["size", "scaleFactor", "mode", "alignCorners"],
  }],
];
for (const [name, spec] of builtins) registerLayerKind(name, spec);
registerLayerKind("InstanceNorm3d", registry.get("InstanceNorm")!);
registerLayerKind("BatchNorm3d", registry.get("BatchNorm")!);
