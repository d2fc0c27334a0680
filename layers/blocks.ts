/**
 * Building blocks assembled from LayerTs: `ConvBlock` (conv → norm → activation) and
 * `ResidualBlock` (two conv blocks with a skip connection). Swapping normalisation or
 * activation in a whole network is a change of one LayerT.
 *
 * Each LayerT is assembled with the placeholder values `inChannels`, `outChannels` and
 * `channels` (the channels the layer sees: the block's output channels for norm and
 * activation), plus any extra `values` passed to the block.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import { add } from "../core/ops/binary.ts";
import { LayerConfigError, type LayerT } from "./layert.ts";
import { Module } from "./module.ts";
import { InstanceNorm } from "./normalization.ts";
import { LeakyReLU, ReLU } from "./activation.ts";
import { instanceNormActivation, type NormActivationOptions } from "../core/ops/normalization.ts";
import type { TensorModule } from "./containers.ts";

/** Settings of {@link ConvBlock}. */
export interface ConvBlockOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** The convolution (or any channel-changing layer). */
  conv: LayerT;
  /** The normalisation after it (omit for none). */
  norm?: LayerT;
  /** The activation last (omit for none). */
  act?: LayerT;
  /** Extra placeholder values (e.g. `stride`). */
  values?: Readonly<Record<string, unknown>>;
}

function asTensorModule(m: unknown, role: string, kind: string): TensorModule {
  if (!(m instanceof Module)) {
    throw new LayerConfigError(`${role} LayerT "${kind}" did not build a Module`);
  }
  return m as TensorModule;
}

/**
 * conv → norm → act, children named `conv`, `norm`, `act` (state-dict keys such as
 * `conv.weight`, `norm.bias`).
 *
 * @example
 * ```ts
 * import { ConvBlock } from "./blocks.ts";
 * import { layerT } from "./registry.ts";
 * import { placeholder } from "./layert.ts";
 * const block = new ConvBlock({
 *   inChannels: 4,
 *   outChannels: 8,
 *   conv: layerT("Linear", {
 *     inFeatures: placeholder("inChannels"),
 *     outFeatures: placeholder("outChannels"),
 *   }),
 *   norm: layerT("LayerNorm", { normalizedShape: placeholder("channels") }),
 *   act: layerT("ReLU"),
 * });
 * ```
 */
export class ConvBlock extends Module {
  /** The convolution. */
  readonly conv: TensorModule;
  /** The normalisation, if any. */
  readonly norm?: TensorModule;
  /** The activation, if any. */
  readonly act?: TensorModule;

  /** Assembles the three LayerTs. */
  constructor(options: ConvBlockOptions) {
    super();
    const { inChannels, outChannels } = options;
    const values = { ...options.values, inChannels, outChannels, channels: outChannels };
    const build = (t: LayerT, role: string) =>
      this.registerModule(role, asTensorModule(t.assemble(values), role, t.kind));
    this.conv = build(options.conv, "conv");
    if (options.norm) this.norm = build(options.norm, "norm");
    if (options.act) this.act = build(options.act, "act");
  }

  /** Applies conv, norm and activation. */
  forward(x: Tensor): Tensor {
    let y = this.conv.forward(x);
    const fused = this.#fusedNormActivation(y);
    if (fused) {
      y.dispose();
      return fused;
    }
    for (const layer of [this.norm, this.act]) {
      if (!layer) continue;
      const next = layer.forward(y);
      y.dispose();
      y = next;
    }
    return y;
  }

  /**
   * Instance norm followed by (Leaky)ReLU runs as one fused op (one pass fewer over the
   * activations); other pairs return undefined and run layer by layer.
   */
  #fusedNormActivation(y: Tensor): Tensor | undefined {
    const { norm, act } = this;
    if (!(norm instanceof InstanceNorm) || y.rank < 3) return undefined;
    let activation: NormActivationOptions;
    if (act instanceof LeakyReLU) {
      activation = { activation: "leakyRelu", negativeSlope: act.negativeSlope };
    } else if (act instanceof ReLU) activation = { activation: "relu" };
    else return undefined;
    if (y.shape[y.rank - 1] !== norm.numFeatures) return undefined;
    return instanceNormActivation(y, norm.weight, norm.bias, { ...activation, eps: norm.eps });
  }
}

/** Settings of {@link ResidualBlock}. */
export interface ResidualBlockOptions extends ConvBlockOptions {
  /**
   * Projection of the skip path when the channels (or `values.stride`) change; defaults
   * to the `conv` LayerT with `{ kernelSize: 1, padding: 0 }`.
   */
  skip?: LayerT;
}

/**
 * act(norm(conv(act(norm(conv(x))))) + skip(x)) — the basic residual block. Children:
 * `conv1` and `conv2` (ConvBlocks; the second without activation), `skip` (ConvBlock of
 * projection and norm, only when needed) and `act`.
 */
export class ResidualBlock extends Module {
  /** First conv → norm → act. */
  readonly conv1: ConvBlock;
  /** Second conv → norm. */
  readonly conv2: ConvBlock;
  /** Projection of the input, when shapes change. */
  readonly skip?: ConvBlock;
  /** The final activation. */
  readonly act?: TensorModule;

  /** Assembles the block. */
  constructor(options: ResidualBlockOptions) {
    super();
    const { inChannels, outChannels, conv, norm, act, values } = options;
    this.conv1 = this.registerModule("conv1", new ConvBlock(options));
    const second = values?.stride === undefined ? values : { ...values, stride: 1 };
    this.conv2 = this.registerModule(
      "conv2",
      new ConvBlock({ inChannels: outChannels, outChannels, conv, norm, values: second }),
    );
    const strided = values?.stride !== undefined && values.stride !== 1;
    if (inChannels !== outChannels || strided || options.skip) {
      let projection = options.skip;
      if (!projection) {
        try {
          projection = conv.update({ kernelSize: 1, padding: 0 });
        } catch (error) {
          throw new LayerConfigError(
            `ResidualBlock: channels change ${inChannels} → ${outChannels} and "${conv.kind}" ` +
              `cannot be made a 1×1 projection (${(error as Error).message}); pass "skip"`,
          );
        }
      }
      this.skip = this.registerModule(
        "skip",
        new ConvBlock({ inChannels, outChannels, conv: projection, norm, values }),
      );
    }
    if (act) {
      this.act = this.registerModule(
        "act",
        asTensorModule(
          act.assemble({ ...values, inChannels, outChannels, channels: outChannels }),
          "act",
          act.kind,
        ),
      );
    }
  }

  /** Applies the block. */
  forward(x: Tensor): Tensor {
    const a = this.conv1.forward(x);
    const b = this.conv2.forward(a);
    a.dispose();
    const shortcut = this.skip ? this.skip.forward(x) : x;
    const sum = add(b, shortcut);
    b.dispose();
    if (shortcut !== x) shortcut.dispose();
    if (!this.act) return sum;
    const y = this.act.forward(sum);
    sum.dispose();
    return y;
  }
}
