/**
 * UNETR (Hatamizadeh et al., "UNETR: Transformers for 3D Medical Image Segmentation",
 * WACV 2022): a ViT encoder over non-overlapping 3-D patches whose intermediate token
 * sequences, reshaped back to volumes, feed a convolutional decoder with skip connections
 * to a full-resolution conv stem. Structure as in MONAI's `UNETR`.
 *
 * For a patch size of 2^L the decoder has L levels: transformer outputs after layers
 * k·depth/L (k = 1 … L−1) are upsampled 2^(L−k)-fold to f·2^k channels, the final
 * (normalised) output starts the decoder at patch resolution, and each up block doubles
 * the resolution and concatenates the skip of that resolution; the conv stem (f channels)
 * is the last skip. With patch 16 and 12 layers this is the paper's z3, z6, z9, z12.
 *
 * @module
 */

import type { Tensor } from "../../core/mod.ts";
import { reshape } from "../../core/mod.ts";
import { Conv3d } from "../../layers/conv.ts";
import { ModuleList } from "../../layers/containers.ts";
import type { LayerT } from "../../layers/layert.ts";
import { Module } from "../../layers/module.ts";
import { LayerNorm } from "../../layers/normalization.ts";
import { conv3x3x3T, instanceNormT, leakyReluT } from "../../layers/presets.ts";
import { PatchEmbedding3d, TransformerBlock } from "../../layers/transformer.ts";
import { ProjectionUpBlock, residualBlock, type UNETRLayers, UpBlock } from "./blocks.ts";

type Triple = [number, number, number];

/** Raised for a UNETR configuration that cannot be built; the message says what to change. */
export class UNETRConfigError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UNETRConfigError";
  }
}

/** Architecture of a {@link UNETR}. */
export interface UNETRConfig {
  /** Image channels. */
  inChannels: number;
  /** Output classes including background. */
  classes: number;
  /** Input volume (D, H, W); every axis must be divisible by the patch size. */
  inputSize: Triple;
  /**
   * Patch edge, a power of two ≥ 2 (paper: 16). Default: the largest of 16, 8, 4 that
   * divides every axis and leaves at least two patches along each.
   */
  patchSize?: number;
  /** Token width (paper: 768; default 192, ViT-Tiny's, to fit CPUs and small GPUs). */
  hiddenSize?: number;
  /** Width of each MLP's inner layer (default 4·hiddenSize). */
  mlpDim?: number;
  /** Transformer layers (default 12). */
  layers?: number;
  /** Attention heads; must divide hiddenSize (default 3). */
  heads?: number;
  /** Channels of the conv stem; level k of the decoder has featureSize·2^k (default 16). */
  featureSize?: number;
  /** Bias in the q/k/v projection (default false). */
  qkvBias?: boolean;
  /** Conv LayerT of the conv blocks (default 3×3×3 conv without bias). */
  conv?: LayerT;
  /** Norm LayerT with a `channels` placeholder (default affine instance norm). */
  norm?: LayerT;
  /** Activation LayerT (default LeakyReLU 0.01). */
  act?: LayerT;
}

const CONFIG_KEYS: readonly string[] = [
  "inChannels",
  "classes",
  "inputSize",
  "patchSize",
  "hiddenSize",
  "mlpDim",
  "layers",
  "heads",
  "featureSize",
  "qkvBias",
  "conv",
  "norm",
  "act",
];

function positive(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new UNETRConfigError(`UNETR: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** The default patch edge for an input (see {@link UNETRConfig.patchSize}). */
export function defaultUNETRPatchSize(inputSize: readonly number[]): number {
  for (const patch of [16, 8, 4]) {
    if (inputSize.every((s) => s % patch === 0 && s / patch >= 2)) return patch;
  }
  throw new UNETRConfigError(
    `UNETR: no default patch size (16, 8 or 4) divides the input [${inputSize}] into at ` +
      "least two patches per axis; pass patchSize or use a patch size (input) divisible by 8",
  );
}

/** Fills defaults and checks a {@link UNETRConfig}. */
export function resolveUNETRConfig(config: UNETRConfig): Required<UNETRConfig> {
  const unknown = Object.keys(config).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length) {
    throw new UNETRConfigError(
      `UNETR has no setting ${unknown.join(", ")}; valid: ${CONFIG_KEYS.join(", ")}`,
    );
  }
  const inputSize = config.inputSize;
  if (!Array.isArray(inputSize) || inputSize.length !== 3) {
    throw new UNETRConfigError(`UNETR: inputSize must be (D, H, W), got ${inputSize}`);
  }
  inputSize.forEach((s) => positive("inputSize", s));
  const patchSize = config.patchSize ?? defaultUNETRPatchSize(inputSize);
  positive("patchSize", patchSize);
  if (patchSize < 2 || (patchSize & (patchSize - 1)) !== 0) {
    throw new UNETRConfigError(
      `UNETR: patchSize must be a power of two ≥ 2 (the decoder doubles the resolution ` +
        `per level), got ${patchSize}`,
    );
  }
  if (inputSize.some((s) => s % patchSize !== 0)) {
    throw new UNETRConfigError(
      `UNETR: input size [${inputSize}] is not divisible by the patch size ${patchSize} on ` +
        "every axis; choose a patch size (network input) that is a multiple of it, or " +
        "another patchSize",
    );
  }
  const hiddenSize = positive("hiddenSize", config.hiddenSize ?? 192);
  const heads = positive("heads", config.heads ?? 3);
  if (hiddenSize % heads !== 0) {
    throw new UNETRConfigError(
      `UNETR: hiddenSize ${hiddenSize} is not divisible by ${heads} heads`,
    );
  }
  return {
    inChannels: positive("inChannels", config.inChannels),
    classes: positive("classes", config.classes),
    inputSize: [...inputSize] as Triple,
    patchSize,
    hiddenSize,
    mlpDim: positive("mlpDim", config.mlpDim ?? 4 * hiddenSize),
    layers: positive("layers", config.layers ?? 12),
    heads,
    featureSize: positive("featureSize", config.featureSize ?? 16),
    qkvBias: config.qkvBias ?? false,
    conv: config.conv ?? conv3x3x3T.update({ bias: false }),
    norm: config.norm ?? instanceNormT,
    act: config.act ?? leakyReluT,
  };
}

/** The ViT encoder: patch embedding, transformer blocks, final LayerNorm. */
class VisionTransformer extends Module<[Tensor], Tensor[]> {
  readonly patchEmbedding: PatchEmbedding3d;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly norm: LayerNorm;

  constructor(config: Required<UNETRConfig>) {
    super();
    const { hiddenSize, heads, mlpDim, qkvBias } = config;
    this.patchEmbedding = this.registerModule(
      "patch_embedding",
      new PatchEmbedding3d({
        inChannels: config.inChannels,
        hiddenSize,
        inputSize: config.inputSize,
        patchSize: config.patchSize,
      }),
    );
    this.blocks = this.registerModule("blocks", new ModuleList<TransformerBlock>());
    for (let i = 0; i < config.layers; i++) {
      this.blocks.append(new TransformerBlock({ hiddenSize, heads, mlpDim, qkvBias }));
    }
    this.norm = this.registerModule("norm", new LayerNorm({ normalizedShape: hiddenSize }));
  }

  /**
   * The token sequences after each of the given layers (1-based, in the given order),
   * then the final layer's output normalised.
   */
  forward(x: Tensor, keepAfter: readonly number[] = []): Tensor[] {
    const kept = new Map<number, Tensor>();
    let h = this.patchEmbedding.forward(x);
    let layer = 0;
    for (const block of this.blocks) {
      const next = block.forward(h);
      if (![...kept.values()].includes(h)) h.dispose();
      h = next;
      layer++;
      if (keepAfter.includes(layer)) kept.set(layer, h);
    }
    const last = this.norm.forward(h);
    if (![...kept.values()].includes(h)) h.dispose();
    return [...keepAfter.map((l) => kept.get(l)!), last];
  }
}

/**
 * UNETR for channels-last volumes (N, D, H, W, C) of a fixed size → logits
 * (N, D, H, W, classes). Child names follow MONAI (`vit`, `encoder1`, `encoder2…`,
 * `decoder…`, `out`).
 *
 * @example
 * ```ts
 * import { UNETR } from "./unetr.ts";
 * const net = new UNETR({
 *   inChannels: 1,
 *   classes: 3,
 *   inputSize: [16, 16, 16],
 *   patchSize: 8,
 *   hiddenSize: 32,
 *   layers: 4,
 *   heads: 2,
 * });
 * ```
 */
export class UNETR extends Module {
  /** The resolved configuration. */
  readonly config: Readonly<Required<UNETRConfig>>;
  /** Decoder levels L (patch size 2^L). */
  readonly levels: number;
  /** 1-based transformer layers whose outputs become skips (k·layers/L, k = 1 … L−1). */
  readonly skipLayers: readonly number[];
  readonly #vit: VisionTransformer;
  readonly #stem: Module;
  readonly #projections: ProjectionUpBlock[] = [];
  readonly #decoders: UpBlock[] = [];
  readonly #head: Conv3d;

  /** Builds the network. */
  constructor(config: UNETRConfig) {
    super();
    const c = resolveUNETRConfig(config);
    this.config = Object.freeze(c);
    const levels = Math.log2(c.patchSize);
    this.levels = levels;
    this.skipLayers = Array.from(
      { length: levels - 1 },
      (_, i) => Math.max(1, Math.round(((i + 1) * c.layers) / levels)),
    );
    const layers: UNETRLayers = { conv: c.conv, norm: c.norm, act: c.act };
    const f = c.featureSize;
    this.#vit = this.registerModule("vit", new VisionTransformer(c));
    this.#stem = this.registerModule("encoder1", residualBlock(layers, c.inChannels, f));
    for (let k = 1; k < levels; k++) {
      this.#projections.push(
        this.registerModule(
          `encoder${k + 1}`,
          new ProjectionUpBlock(layers, c.hiddenSize, f * 2 ** k, levels - k),
        ),
      );
    }
    // decoder{L+1} starts from the tokens; decoder2 ends at full resolution (MONAI's names).
    for (let k = levels; k >= 1; k--) {
      const inChannels = k === levels ? c.hiddenSize : f * 2 ** k;
      this.#decoders.push(
        this.registerModule(`decoder${k + 1}`, new UpBlock(layers, inChannels, f * 2 ** (k - 1))),
      );
    }
    this.#head = this.registerModule(
      "out",
      new Conv3d({ inChannels: f, outChannels: c.classes, kernelSize: 1 }),
    );
  }

  /** Tokens (N, T, hidden) → a volume (N, gD, gH, gW, hidden): free, as tokens are (d, h, w). */
  #toVolume(tokens: Tensor): Tensor {
    const [gd, gh, gw] = this.config.inputSize.map((s) => s / this.config.patchSize);
    return reshape(tokens, [tokens.shape[0], gd, gh, gw, this.config.hiddenSize]);
  }

  /** x (N, D, H, W, inChannels) → logits (N, D, H, W, classes). */
  forward(x: Tensor): Tensor {
    const [d, h, w] = this.config.inputSize;
    if (x.rank !== 5 || x.shape[1] !== d || x.shape[2] !== h || x.shape[3] !== w) {
      throw new UNETRConfigError(
        `UNETR built for (N, ${d}, ${h}, ${w}, ${this.config.inChannels}) inputs got ` +
          `[${x.shape}]; a UNETR has a fixed input size (its position embeddings)`,
      );
    }
    const sequences = this.#vit.forward(x, this.skipLayers);
    const volumes = sequences.map((t) => this.#toVolume(t));
    for (const t of sequences) t.dispose();
    // skips[k] has resolution 1/2^k: the stem, then the upsampled transformer outputs.
    const skips: Tensor[] = [this.#stem.forward(x) as Tensor];
    this.#projections.forEach((block, i) => {
      skips.push(block.forward(volumes[i]));
      volumes[i].dispose();
    });
    let y = volumes[volumes.length - 1];
    this.#decoders.forEach((decoder, i) => {
      const skip = skips[this.levels - 1 - i];
      const next = decoder.forward(y, skip);
      y.dispose();
      skip.dispose();
      y = next;
    });
    const logits = this.#head.forward(y);
    y.dispose();
    return logits;
  }
}
