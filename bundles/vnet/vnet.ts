/**
 * V-Net (Milletari, Navab and Ahmadi, "V-Net: Fully Convolutional Neural Networks for
 * Volumetric Medical Image Segmentation", 3DV 2016): residual stages of 5×5×5 convs,
 * strided convs instead of pooling, transposed convs up, skips concatenated.
 *
 * With features f₀ … f_{S−1} (paper: 16 … 256): the input stage maps the image to f₀ and
 * adds the image repeated over channels; down stage l halves the resolution with a
 * 2×2×2 stride-2 conv to f_l; up stage l (deepest first) maps its input with a 2×2×2
 * transposed conv to f_l, concatenates the skip of that resolution (f_l) and runs its
 * residual stack at 2·f_l; a 1×1×1 conv maps 2·f₀ to the classes. Every conv is followed
 * by a norm and an activation (defaults: affine instance norm, since patch batches are
 * small, where the paper has none; per-channel PReLU as in the paper).
 *
 * @module
 */

import type { Tensor } from "../../core/mod.ts";
import { Conv3d } from "../../layers/conv.ts";
import { ModuleList } from "../../layers/containers.ts";
import { type LayerT, placeholder } from "../../layers/layert.ts";
import { Module } from "../../layers/module.ts";
import { instanceNormT } from "../../layers/presets.ts";
import { layerT } from "../../layers/registry.ts";
import { VNetDownStage, VNetInputStage, VNetUpStage } from "./stages.ts";

type Triple = [number, number, number];

/** Raised for a V-Net configuration or input that cannot work; the message says what to change. */
export class VNetError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "VNetError";
  }
}

/** PReLU with one learned slope per channel. */
export const channelPReluT: LayerT = layerT("PReLU", { numParameters: placeholder("channels") });

/** Architecture of a {@link VNet}. */
export interface VNetConfig {
  /** Image channels (modalities). */
  inChannels: number;
  /** Output classes including background. */
  classes: number;
  /** Features per stage, shallow to deep; default `baseFeatures·2^l` for `stages` stages. */
  features?: number[];
  /** Features of the input stage when `features` is not given (default 16). */
  baseFeatures?: number;
  /** Stages including the input stage when `features` is not given (default 5). */
  stages?: number;
  /** Stride of each stage's down conv (stage 0: [1, 1, 1]); default 2 after stage 0. */
  strides?: Triple[];
  /** Kernel of each stage's residual convs (default 5 everywhere; e.g. [1, 5, 5]). */
  kernelSizes?: Triple[];
  /**
   * Residual convs per stage, one number for all or one per stage; the up stage at a
   * resolution uses that resolution's count (default the paper's 1, 2, 3, 3, 3, …).
   */
  convsPerStage?: number | number[];
  /** Norm LayerT with a `channels` placeholder (default affine instance norm). */
  norm?: LayerT;
  /** Activation LayerT (default per-channel PReLU, {@link channelPReluT}). */
  act?: LayerT;
}

/** A {@link VNetConfig} with every default filled in. */
export interface ResolvedVNetConfig {
  /** Image channels. */
  inChannels: number;
  /** Classes including background. */
  classes: number;
  /** Features per stage. */
  features: number[];
  /** Down-conv stride per stage. */
  strides: Triple[];
  /** Residual-conv kernel per stage. */
  kernelSizes: Triple[];
  /** Residual convs per stage. */
  convsPerStage: number[];
  /** Norm LayerT. */
  norm: LayerT;
  /** Activation LayerT. */
  act: LayerT;
}

const CONFIG_KEYS: readonly string[] = [
  "inChannels",
  "classes",
  "features",
  "baseFeatures",
  "stages",
  "strides",
  "kernelSizes",
  "convsPerStage",
  "norm",
  "act",
];

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new VNetError(`V-Net: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function checkTriples(name: string, values: Triple[], stages: number, minimum: number): void {
  if (!Array.isArray(values) || values.length !== stages) {
    throw new VNetError(
      `V-Net: ${name} needs one (D, H, W) entry per stage (${stages}), got ${
        JSON.stringify(values)
      }`,
    );
  }
  for (const t of values) {
    if (!Array.isArray(t) || t.length !== 3 || t.some((v) => !Number.isInteger(v) || v < minimum)) {
      throw new VNetError(`V-Net: ${name} entries must be three integers >= ${minimum}, got ${t}`);
    }
  }
}

/** Fills defaults and checks a {@link VNetConfig}. */
export function resolveVNetConfig(config: VNetConfig): ResolvedVNetConfig {
  const unknown = Object.keys(config).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length) {
    throw new VNetError(
      `V-Net has no setting ${unknown.join(", ")}; valid: ${CONFIG_KEYS.join(", ")}`,
    );
  }
  positiveInteger("inChannels", config.inChannels);
  positiveInteger("classes", config.classes);
  const base = positiveInteger("baseFeatures", config.baseFeatures ?? 16);
  const stageCount = positiveInteger("stages", config.stages ?? 5);
  const features = config.features ?? Array.from({ length: stageCount }, (_, l) => base * 2 ** l);
  if (!Array.isArray(features) || features.length < 2) {
    throw new VNetError(`V-Net: needs at least two stages, got features ${features}`);
  }
  features.forEach((f) => positiveInteger("features", f));
  const stages = features.length;
  const strides = config.strides ??
    features.map((_, l) => (l === 0 ? [1, 1, 1] : [2, 2, 2]) as Triple);
  checkTriples("strides", strides, stages, 1);
  const kernelSizes = config.kernelSizes ?? features.map(() => [5, 5, 5] as Triple);
  checkTriples("kernelSizes", kernelSizes, stages, 1);
  if (kernelSizes.some((k) => k.some((v) => v % 2 === 0))) {
    throw new VNetError(`V-Net: kernel sizes must be odd (same padding), got ${kernelSizes}`);
  }
  const convs = config.convsPerStage ?? features.map((_, l) => Math.min(l + 1, 3));
  const convsPerStage = typeof convs === "number" ? features.map(() => convs) : convs;
  if (!Array.isArray(convsPerStage) || convsPerStage.length !== stages) {
    throw new VNetError(
      `V-Net: convsPerStage needs one count per stage (${stages}), got ${convs}`,
    );
  }
  convsPerStage.forEach((n) => positiveInteger("convsPerStage", n));
  return {
    inChannels: config.inChannels,
    classes: config.classes,
    features: [...features],
    strides: strides.map((s) => [...s] as Triple),
    kernelSizes: kernelSizes.map((k) => [...k] as Triple),
    convsPerStage: [...convsPerStage],
    norm: config.norm ?? instanceNormT,
    act: config.act ?? channelPReluT,
  };
}

/** Total down-sampling per axis: (D, H, W) sizes must be multiples of it. */
export function vnetDivisibility(strides: readonly Triple[]): Triple {
  return [0, 1, 2].map((a) => strides.reduce((p, s) => p * s[a], 1)) as Triple;
}

/**
 * The V-Net. `forward` maps (N, D, H, W, inChannels) to logits (N, D, H, W, classes);
 * D, H and W must be multiples of {@link VNet.divisibility}. State-dict keys:
 * `input_stage.residual.convs.0.conv.weight`, `down_stages.0.down.conv.weight`,
 * `up_stages.0.up.conv.weight`, `head.weight`, …
 *
 * @example
 * ```ts ignore
 * const net = new VNet({ inChannels: 1, classes: 3, baseFeatures: 8, stages: 4 });
 * const logits = net.forward(image); // image (1, 32, 48, 40, 1) → (1, 32, 48, 40, 3)
 * ```
 */
export class VNet extends Module<[Tensor], Tensor> {
  /** The resolved architecture. */
  readonly config: ResolvedVNetConfig;
  /** Full-resolution stage. */
  readonly input_stage: VNetInputStage;
  /** Down stages, shallow to deep (stage l + 1 of the encoder). */
  readonly down_stages: ModuleList<VNetDownStage>;
  /** Up stages, deepest first. */
  readonly up_stages: ModuleList<VNetUpStage>;
  /** 1×1×1 conv to the classes. */
  readonly head: Conv3d;

  /** Builds the network (parameters initialised by each layer's default). */
  constructor(config: VNetConfig) {
    super();
    const c = resolveVNetConfig(config);
    this.config = c;
    const f = c.features;
    const layers = { norm: c.norm, act: c.act };
    this.input_stage = this.registerModule(
      "input_stage",
      new VNetInputStage(c.inChannels, f[0], c.convsPerStage[0], c.kernelSizes[0], layers),
    );
    const downs: VNetDownStage[] = [];
    for (let l = 1; l < f.length; l++) {
      downs.push(
        new VNetDownStage(
          f[l - 1],
          f[l],
          c.convsPerStage[l],
          c.kernelSizes[l],
          c.strides[l],
          layers,
        ),
      );
    }
    this.down_stages = this.registerModule("down_stages", new ModuleList(downs));
    const ups: VNetUpStage[] = [];
    // The bottom stage outputs f[S−1]; each up stage at level l outputs 2·f[l].
    let channels = f[f.length - 1];
    for (let l = f.length - 2; l >= 0; l--) {
      ups.push(
        new VNetUpStage(
          channels,
          f[l],
          c.convsPerStage[l],
          c.kernelSizes[l],
          c.strides[l + 1],
          layers,
        ),
      );
      channels = 2 * f[l];
    }
    this.up_stages = this.registerModule("up_stages", new ModuleList(ups));
    this.head = this.registerModule(
      "head",
      new Conv3d({ inChannels: channels, outChannels: c.classes, kernelSize: 1 }),
    );
  }

  /** Total down-sampling factor per axis: input sizes must be multiples of it. */
  get divisibility(): Triple {
    return vnetDivisibility(this.config.strides);
  }

  /** Logits for a batch (N, D, H, W, C). */
  forward(x: Tensor): Tensor {
    const multiple = this.divisibility;
    const spatial = x.shape.slice(1, 4);
    if (x.rank !== 5 || x.shape[4] !== this.config.inChannels) {
      throw new VNetError(
        `V-Net: input must be (N, D, H, W, ${this.config.inChannels}), got [${x.shape}]`,
      );
    }
    if (spatial.some((s, a) => s % multiple[a] !== 0)) {
      throw new VNetError(
        `V-Net: input size [${spatial}] must be a multiple of [${multiple}] per axis ` +
          `(the strides' product); pad or crop the patch`,
      );
    }
    const skips = [this.input_stage.forward(x)];
    for (const stage of this.down_stages) skips.push(stage.forward(skips[skips.length - 1]));
    let y = skips.pop()!;
    let level = skips.length - 1;
    for (const stage of this.up_stages) {
      const next = stage.merge(y, skips[level]);
      y.dispose();
      skips[level].dispose();
      y = next;
      level--;
    }
    const logits = this.head.forward(y);
    y.dispose();
    return logits;
  }
}
