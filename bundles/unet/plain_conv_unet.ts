/**
 * nnU-Net's plain convolutional U-Net: encoder stages of conv blocks (conv → norm → act)
 * with strided-conv downsampling, decoder stages with transposed-conv upsampling and skip
 * concatenation, and a 1×1×1 segmentation head per decoder stage (deep supervision).
 * Every conv, norm and activation comes from a {@link LayerT}, so they can be swapped.
 *
 * @module
 */

import { concat, type Tensor } from "../../core/mod.ts";
import { ConvBlock } from "../../layers/blocks.ts";
import { ModuleList } from "../../layers/containers.ts";
import { Conv3d, ConvTranspose3d } from "../../layers/conv.ts";
import type { LayerT } from "../../layers/layert.ts";
import { Module } from "../../layers/module.ts";
import { conv3x3x3T, instanceNormT, leakyReluT } from "../../layers/presets.ts";

type Triple = [number, number, number];

/** Architecture of a {@link PlainConvUNet}. */
export interface PlainConvUNetConfig {
  /** Image channels (modalities). */
  inChannels: number;
  /** Output classes including background. */
  classes: number;
  /** Feature channels per stage, shallow to deep (default [16, 32, 64, 128]). */
  features?: number[];
  /** Stride of each stage's first conv (stage 0 usually [1, 1, 1]); default 2 after stage 0. */
  strides?: Triple[];
  /** Kernel size per stage (default 3 everywhere; anisotropic e.g. [1, 3, 3]). */
  kernelSizes?: Triple[];
  /** Conv blocks per encoder and decoder stage (default 2). */
  convsPerStage?: number;
  /** Conv LayerT with `inChannels`/`outChannels` placeholders (default 3×3×3 conv). */
  conv?: LayerT;
  /** Norm LayerT with a `channels` placeholder (default affine instance norm). */
  norm?: LayerT;
  /** Activation LayerT (default LeakyReLU 0.01). */
  act?: LayerT;
  /** Return one output per decoder stage in training mode (default true). */
  deepSupervision?: boolean;
}

/** Fills defaults and checks a {@link PlainConvUNetConfig}. */
export function resolveUNetConfig(config: PlainConvUNetConfig): Required<PlainConvUNetConfig> {
  const features = config.features ?? [16, 32, 64, 128];
  const stages = features.length;
  if (stages < 2) throw new RangeError("a U-Net needs at least two stages");
  const strides = config.strides ??
    features.map((_, i) => (i === 0 ? [1, 1, 1] : [2, 2, 2]) as Triple);
  const kernelSizes = config.kernelSizes ?? features.map(() => [3, 3, 3] as Triple);
  if (strides.length !== stages || kernelSizes.length !== stages) {
    throw new RangeError(
      `features, strides and kernelSizes need one entry per stage (${stages}), got ` +
        `${strides.length} strides and ${kernelSizes.length} kernel sizes`,
    );
  }
  return {
    inChannels: config.inChannels,
    classes: config.classes,
    features,
    strides,
    kernelSizes,
    convsPerStage: config.convsPerStage ?? 2,
    conv: config.conv ?? conv3x3x3T,
    norm: config.norm ?? instanceNormT,
    act: config.act ?? leakyReluT,
    deepSupervision: config.deepSupervision ?? true,
  };
}

/** A stack of conv blocks; the first may be strided. */
class StackedConvBlocks extends Module {
  readonly convs: ModuleList<ConvBlock>;

  constructor(
    config: Required<PlainConvUNetConfig>,
    inChannels: number,
    outChannels: number,
    kernel: Triple,
    stride: Triple,
  ) {
    super();
    const blocks: ConvBlock[] = [];
    for (let i = 0; i < config.convsPerStage; i++) {
      const conv = config.conv.update({
        kernelSize: kernel,
        padding: kernel.map((k) => (k - 1) >> 1),
        stride: i === 0 ? stride : [1, 1, 1],
      });
      blocks.push(
        new ConvBlock({
          inChannels: i === 0 ? inChannels : outChannels,
          outChannels,
          conv,
          norm: config.norm,
          act: config.act,
        }),
      );
    }
    this.convs = this.registerModule("convs", new ModuleList(blocks));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const block of this.convs) y = block.forward(y);
    return y;
  }
}

class Encoder extends Module {
  readonly stages: ModuleList<StackedConvBlocks>;

  constructor(config: Required<PlainConvUNetConfig>) {
    super();
    const stages = config.features.map((f, i) =>
      new StackedConvBlocks(
        config,
        i === 0 ? config.inChannels : config.features[i - 1],
        f,
        config.kernelSizes[i],
        config.strides[i],
      )
    );
    this.stages = this.registerModule("stages", new ModuleList(stages));
  }

  /** Every stage's output, shallow to deep (the skips). */
  forward(x: Tensor): Tensor {
    return this.skips(x)[this.stages.length - 1];
  }

  skips(x: Tensor): Tensor[] {
    const out: Tensor[] = [];
    let y = x;
    for (const stage of this.stages) {
      y = stage.forward(y);
      out.push(y);
    }
    return out;
  }
}

class Decoder extends Module {
  readonly transpconvs: ModuleList<ConvTranspose3d>;
  readonly stages: ModuleList<StackedConvBlocks>;
  readonly seg_layers: ModuleList<Conv3d>;

  constructor(config: Required<PlainConvUNetConfig>) {
    super();
    const f = config.features;
    const ups: ConvTranspose3d[] = [];
    const stages: StackedConvBlocks[] = [];
    const heads: Conv3d[] = [];
    // Decoder stage s works at encoder resolution n − 2 − s (deepest first, as nnU-Net).
    for (let s = 0; s < f.length - 1; s++) {
      const level = f.length - 2 - s;
      const stride = config.strides[level + 1];
      ups.push(
        new ConvTranspose3d({
          inChannels: f[level + 1],
          outChannels: f[level],
          kernelSize: stride,
          stride,
          bias: false,
        }),
      );
      stages.push(
        new StackedConvBlocks(config, 2 * f[level], f[level], config.kernelSizes[level], [1, 1, 1]),
      );
      heads.push(
        new Conv3d({ inChannels: f[level], outChannels: config.classes, kernelSize: 1 }),
      );
    }
    this.transpconvs = this.registerModule("transpconvs", new ModuleList(ups));
    this.stages = this.registerModule("stages", new ModuleList(stages));
    this.seg_layers = this.registerModule("seg_layers", new ModuleList(heads));
  }

  forward(): Tensor {
    throw new Error("Decoder.forward needs the skips: use decode()");
  }

  /** Outputs per decoder stage, highest resolution first; only the last when `all` is false. */
  decode(skips: Tensor[], all: boolean): Tensor[] {
    const outputs: Tensor[] = [];
    let y = skips[skips.length - 1];
    const count = this.stages.length;
    for (let s = 0; s < count; s++) {
      const up = this.transpconvs.at(s)!.forward(y);
      y = this.stages.at(s)!.forward(concat([up, skips[skips.length - 2 - s]], 4));
      if (all || s === count - 1) outputs.push(this.seg_layers.at(s)!.forward(y));
    }
    return outputs.reverse();
  }
}

/**
 * The U-Net. In training mode with deep supervision `forward` returns one output per
 * decoder stage (highest resolution first); otherwise the full-resolution logits only.
 *
 * @example
 * ```ts ignore
 * const net = new PlainConvUNet({ inChannels: 1, classes: 3, features: [8, 16, 32] });
 * const logits = net.eval().forward(image); // (N, D, H, W, 3)
 * ```
 */
export class PlainConvUNet extends Module<[Tensor], Tensor | Tensor[]> {
  /** The resolved architecture. */
  readonly config: Required<PlainConvUNetConfig>;
  readonly encoder: Encoder;
  readonly decoder: Decoder;

  /** Builds the network (parameters initialised by each layer's default). */
  constructor(config: PlainConvUNetConfig) {
    super();
    this.config = resolveUNetConfig(config);
    this.encoder = this.registerModule("encoder", new Encoder(this.config));
    this.decoder = this.registerModule("decoder", new Decoder(this.config));
  }

  /** Total downsampling factor per axis: input sizes should be multiples of it. */
  get divisibility(): Triple {
    return [0, 1, 2].map((a) => this.config.strides.reduce((p, s) => p * s[a], 1)) as Triple;
  }

  /** Logits (or deep-supervision outputs) for a batch (N, D, H, W, C). */
  forward(x: Tensor): Tensor | Tensor[] {
    const all = this.training && this.config.deepSupervision;
    const outputs = this.decoder.decode(this.encoder.skips(x), all);
    return all ? outputs : outputs[0];
  }
}
