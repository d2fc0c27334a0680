/**
 * The three stage kinds of a V-Net (Milletari et al. 2016), each a residual unit: a stack
 * of conv → norm → activation blocks whose output is added to the stage's own input and
 * activated once more. The input stage adds the image repeated over channels; a down stage
 * first halves the resolution with a strided conv; an up stage first doubles it with a
 * transposed conv and concatenates the encoder's skip.
 *
 * @module
 */

import { add, concat, slice, type Tensor } from "../../core/mod.ts";
import { ConvBlock } from "../../layers/blocks.ts";
import { ModuleList, type TensorModule } from "../../layers/containers.ts";
import { type LayerT, placeholder } from "../../layers/layert.ts";
import { Module } from "../../layers/module.ts";
import { layerT } from "../../layers/registry.ts";

type Triple = [number, number, number];

/** The swappable layers of every stage. */
export interface VNetStageLayers {
  /** Norm LayerT with a `channels` placeholder. */
  norm: LayerT;
  /** Activation LayerT (may use a `channels` placeholder, as per-channel PReLU does). */
  act: LayerT;
}

/** A conv LayerT with `inChannels`/`outChannels` placeholders and "same" padding. */
function sameConvT(kernel: Triple): LayerT {
  return layerT("Conv3d", {
    inChannels: placeholder("inChannels"),
    outChannels: placeholder("outChannels"),
    kernelSize: kernel,
    padding: kernel.map((k) => (k - 1) >> 1) as Triple,
  });
}

/**
 * `convs` conv blocks (the first maps `inChannels` → `channels`), then act(blocks(x) + x).
 * Children: `convs` and `act`.
 */
export class ResidualConvs extends Module {
  /** The conv → norm → act blocks. */
  readonly convs: ModuleList<ConvBlock>;
  /** The activation after the residual sum. */
  readonly act: TensorModule;

  /** Builds `count` blocks of kernel `kernel`. */
  constructor(
    inChannels: number,
    channels: number,
    count: number,
    kernel: Triple,
    layers: VNetStageLayers,
  ) {
    super();
    const conv = sameConvT(kernel);
    const blocks = Array.from({ length: count }, (_, i) =>
      new ConvBlock({
        inChannels: i === 0 ? inChannels : channels,
        outChannels: channels,
        conv,
        norm: layers.norm,
        act: layers.act,
      }));
    this.convs = this.registerModule("convs", new ModuleList(blocks));
    this.act = this.registerModule(
      "act",
      layers.act.assemble({
        inChannels: channels,
        outChannels: channels,
        channels,
      }) as TensorModule,
    );
  }

  /** act(blocks(x) + shortcut); `shortcut` must have the blocks' output shape. */
  forward(x: Tensor, shortcut: Tensor = x): Tensor {
    let y = x;
    for (const block of this.convs) {
      const next = block.forward(y);
      if (y !== x) y.dispose();
      y = next;
    }
    const sum = add(y, shortcut);
    if (y !== x) y.dispose();
    const out = this.act.forward(sum);
    sum.dispose();
    return out;
  }
}

/**
 * The image's channels repeated cyclically to `channels` (channel c is input channel
 * c mod C), the input stage's shortcut: for one input channel, the paper's 16 copies.
 */
export function repeatChannels(x: Tensor, channels: number): Tensor {
  const inChannels = x.shape[x.rank - 1];
  if (inChannels === channels) return x;
  const copies = Math.ceil(channels / inChannels);
  const tiled = copies === 1 ? x : concat(Array.from({ length: copies }, () => x), x.rank - 1);
  if (copies * inChannels === channels) return tiled;
  const ranges = x.shape.map((
    _,
    a,
  ) => (a === x.rank - 1 ? { start: 0, stop: channels } : undefined));
  const out = slice(tiled, ranges);
  if (tiled !== x) tiled.dispose();
  return out;
}

/** The input stage: act(convs(x) + x repeated over channels), at full resolution. */
export class VNetInputStage extends Module {
  /** The residual conv stack (`residual.convs.0` maps the image to `channels`). */
  readonly residual: ResidualConvs;
  /** Output channels. */
  readonly channels: number;

  /** Builds the stage. */
  constructor(
    inChannels: number,
    channels: number,
    count: number,
    kernel: Triple,
    layers: VNetStageLayers,
  ) {
    super();
    this.channels = channels;
    this.residual = this.registerModule(
      "residual",
      new ResidualConvs(inChannels, channels, count, kernel, layers),
    );
  }

  /** (N, D, H, W, Cin) → (N, D, H, W, channels). */
  forward(x: Tensor): Tensor {
    const shortcut = repeatChannels(x, this.channels);
    const out = this.residual.forward(x, shortcut);
    if (shortcut !== x) shortcut.dispose();
    return out;
  }
}

/** A down stage: a strided conv (kernel = stride) → norm → act, then a residual stack. */
export class VNetDownStage extends Module {
  /** The down-sampling conv block. */
  readonly down: ConvBlock;
  /** The residual conv stack at the new resolution. */
  readonly residual: ResidualConvs;

  /** Builds the stage. */
  constructor(
    inChannels: number,
    channels: number,
    count: number,
    kernel: Triple,
    stride: Triple,
    layers: VNetStageLayers,
  ) {
    super();
    const conv = layerT("Conv3d", {
      inChannels: placeholder("inChannels"),
      outChannels: placeholder("outChannels"),
      kernelSize: stride,
      stride,
    });
    this.down = this.registerModule(
      "down",
      new ConvBlock({ inChannels, outChannels: channels, conv, ...layers }),
    );
    this.residual = this.registerModule(
      "residual",
      new ResidualConvs(channels, channels, count, kernel, layers),
    );
  }

  /** (N, D, H, W, Cin) → (N, D/s, H/s, W/s, channels). */
  forward(x: Tensor): Tensor {
    const down = this.down.forward(x);
    const out = this.residual.forward(down);
    down.dispose();
    return out;
  }
}

/**
 * An up stage: a transposed conv (kernel = stride) → norm → act to `skipChannels`, the
 * skip concatenated after it, then a residual stack at 2·`skipChannels`.
 */
export class VNetUpStage extends Module {
  /** The up-sampling block (transposed conv → norm → act). */
  readonly up: ConvBlock;
  /** The residual conv stack over [up, skip]. */
  readonly residual: ResidualConvs;

  /** Builds the stage. */
  constructor(
    inChannels: number,
    skipChannels: number,
    count: number,
    kernel: Triple,
    stride: Triple,
    layers: VNetStageLayers,
  ) {
    super();
    const conv = layerT("ConvTranspose3d", {
      inChannels: placeholder("inChannels"),
      outChannels: placeholder("outChannels"),
      kernelSize: stride,
      stride,
    });
    this.up = this.registerModule(
      "up",
      new ConvBlock({ inChannels, outChannels: skipChannels, conv, ...layers }),
    );
    const channels = 2 * skipChannels;
    this.residual = this.registerModule(
      "residual",
      new ResidualConvs(channels, channels, count, kernel, layers),
    );
  }

  /** Not usable alone: an up stage needs its skip (see {@link VNetUpStage.merge}). */
  forward(): Tensor {
    throw new Error("VNetUpStage.forward needs the skip: use merge(x, skip)");
  }

  /** x (N, d, h, w, Cin) and skip (N, d·s, h·s, w·s, Cskip) → (N, d·s, h·s, w·s, 2·Cskip). */
  merge(x: Tensor, skip: Tensor): Tensor {
    const up = this.up.forward(x);
    const joined = concat([up, skip], 4);
    up.dispose();
    const out = this.residual.forward(joined);
    joined.dispose();
    return out;
  }
}
