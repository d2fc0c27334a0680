/**
 * UNETR's decoder blocks: the projection-upsampling path that turns an intermediate
 * transformer output back into a feature volume, and the up block that upsamples,
 * concatenates a skip and fuses them with a residual conv block.
 *
 * @module
 */

import { concat, type Tensor } from "../../core/mod.ts";
import { ResidualBlock } from "../../layers/blocks.ts";
import { ModuleList, Sequential } from "../../layers/containers.ts";
import { ConvTranspose3d } from "../../layers/conv.ts";
import type { LayerT } from "../../layers/layert.ts";
import { Module } from "../../layers/module.ts";

/** The LayerTs every UNETR conv block is assembled from. */
export interface UNETRLayers {
  /** 3×3×3 conv with `inChannels`/`outChannels` placeholders. */
  conv: LayerT;
  /** Norm with a `channels` placeholder. */
  norm: LayerT;
  /** Activation. */
  act: LayerT;
}

/** A residual conv block (conv–norm–act–conv–norm + projected skip, then act). */
export function residualBlock(
  layers: UNETRLayers,
  inChannels: number,
  outChannels: number,
): ResidualBlock {
  return new ResidualBlock({ inChannels, outChannels, ...layers });
}

/** A 2× upsampling transposed conv (kernel = stride = 2, no bias: a norm follows). */
export function upsample(inChannels: number, outChannels: number): ConvTranspose3d {
  return new ConvTranspose3d({ inChannels, outChannels, kernelSize: 2, stride: 2, bias: false });
}

/**
 * Upsamples transformer features by 2^`steps`: a transposed conv to `outChannels`, then
 * (steps − 1) times a transposed conv followed by a residual block (MONAI's
 * `UnetrPrUpBlock` with conv and residual blocks).
 */
export class ProjectionUpBlock extends Module {
  /** The first upsampling (hidden → out channels). */
  readonly transpConvInit: ConvTranspose3d;
  /** Further upsampling stages. */
  readonly blocks: ModuleList<Sequential>;

  /** Creates the block. */
  constructor(layers: UNETRLayers, inChannels: number, outChannels: number, steps: number) {
    super();
    this.transpConvInit = this.registerModule(
      "transp_conv_init",
      upsample(inChannels, outChannels),
    );
    this.blocks = this.registerModule("blocks", new ModuleList<Sequential>());
    for (let i = 1; i < steps; i++) {
      this.blocks.append(
        new Sequential(
          upsample(outChannels, outChannels),
          residualBlock(layers, outChannels, outChannels),
        ),
      );
    }
  }

  /** x (N, d, h, w, in) → (N, d·2^steps, …, out). */
  forward(x: Tensor): Tensor {
    let y = this.transpConvInit.forward(x);
    for (const block of this.blocks) {
      const next = block.forward(y);
      y.dispose();
      y = next;
    }
    return y;
  }
}

/** Upsample 2×, concatenate [upsampled, skip] on channels, residual block to `out`. */
export class UpBlock extends Module<[Tensor, Tensor], Tensor> {
  /** The upsampling. */
  readonly transpConv: ConvTranspose3d;
  /** Fuses the concatenation (2·out → out). */
  readonly convBlock: ResidualBlock;

  /** Creates the block. */
  constructor(layers: UNETRLayers, inChannels: number, outChannels: number) {
    super();
    this.transpConv = this.registerModule("transp_conv", upsample(inChannels, outChannels));
    this.convBlock = this.registerModule(
      "conv_block",
      residualBlock(layers, 2 * outChannels, outChannels),
    );
  }

  /** x (N, d, h, w, in), skip (N, 2d, 2h, 2w, out) → (N, 2d, 2h, 2w, out). */
  forward(x: Tensor, skip: Tensor): Tensor {
    const up = this.transpConv.forward(x);
    const joined = concat([up, skip], -1);
    up.dispose();
    const y = this.convBlock.forward(joined);
    joined.dispose();
    return y;
  }
}
