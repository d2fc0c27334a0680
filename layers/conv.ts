/**
 * Convolution layers over channels-last inputs. Weights are kept as
 * (kD, kH, kW, Cin, Cout) for the implicit-GEMM kernels and saved in PyTorch's layouts
 * (Conv3d: O×I×kD×kH×kW; Conv2d: O×I×kH×kW; ConvTranspose3d: I×O×kD×kH×kW), so
 * checkpoints interoperate.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import type { RandomGenerator } from "../core/random.ts";
import { zeros } from "../core/ops/creation.ts";
import { reshape } from "../core/ops/movement.ts";
import {
  conv3d,
  type Triple,
  weightFromTorchLayout,
  weightToTorchLayout,
} from "../core/ops/conv3d.ts";
import {
  convTranspose3d,
  transposedWeightFromTorchLayout,
  transposedWeightToTorchLayout,
} from "../core/ops/conv_transpose3d.ts";
import { type Fans, kaimingUniform, uniformInit } from "./init.ts";
import { Module, type TorchLayout } from "./module.ts";
import { LayerArgumentError } from "./errors.ts";
import { positiveInteger } from "./linear.ts";

function tripleOf(layer: string, name: string, value: Triple, minimum: number): number[] {
  const t = typeof value === "number" ? [value, value, value] : [...value];
  if (t.length !== 3 || t.some((v) => !Number.isInteger(v) || v < minimum)) {
    throw new LayerArgumentError(
      `${layer}: ${name} must be an integer or three integers >= ${minimum}, got ${value}`,
    );
  }
  return t;
}

function pairOf(
  layer: string,
  name: string,
  value: number | readonly [number, number],
  minimum: number,
): number[] {
  const t = typeof value === "number" ? [value, value] : [...value];
  if (t.length !== 2 || t.some((v) => !Number.isInteger(v) || v < minimum)) {
    throw new LayerArgumentError(
      `${layer}: ${name} must be an integer or two integers >= ${minimum}, got ${value}`,
    );
  }
  return t;
}

/** PyTorch's default init: weight and bias U(±1/√fanIn) (kaiming_uniform with a = √5). */
function defaultInit(weight: Tensor, bias: Tensor | undefined, fans: Fans, rng?: RandomGenerator) {
  kaimingUniform(weight, fans, { negativeSlope: Math.sqrt(5), generator: rng });
  if (bias) {
    const bound = 1 / Math.sqrt(fans.fanIn);
    uniformInit(bias, -bound, bound, rng);
  }
}

/** Settings of {@link Conv3d}. */
export interface Conv3dLayerOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Kernel size per axis (D, H, W). */
  kernelSize: Triple;
  /** Stride (default 1). */
  stride?: Triple;
  /** Zero padding on both sides (default 0). */
  padding?: Triple;
  /** Dilation (default 1). */
  dilation?: Triple;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/**
 * 3-D convolution of (N, D, H, W, Cin) volumes.
 *
 * @example
 * ```ts
 * import { Conv3d } from "./conv.ts";
 * const conv = new Conv3d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 });
 * ```
 */
export class Conv3d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel (D, H, W). */
  readonly kernelSize: readonly number[];
  /** Stride (D, H, W). */
  readonly stride: readonly number[];
  /** Padding (D, H, W). */
  readonly padding: readonly number[];
  /** Dilation (D, H, W). */
  readonly dilation: readonly number[];
  /** Weight (kD, kH, kW, Cin, Cout). */
  readonly weight: Tensor;
  /** Bias (Cout), when enabled. */
  readonly bias?: Tensor;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(options: Conv3dLayerOptions) {
    super();
    const name = "Conv3d";
    this.inChannels = positiveInteger(name, "inChannels", options.inChannels);
    this.outChannels = positiveInteger(name, "outChannels", options.outChannels);
    this.kernelSize = tripleOf(name, "kernelSize", options.kernelSize, 1);
    this.stride = tripleOf(name, "stride", options.stride ?? 1, 1);
    this.padding = tripleOf(name, "padding", options.padding ?? 0, 0);
    this.dilation = tripleOf(name, "dilation", options.dilation ?? 1, 1);
    const [kd, kh, kw] = this.kernelSize;
    const layout: TorchLayout = {
      torchShape: [this.outChannels, this.inChannels, kd, kh, kw],
      toTorch: weightToTorchLayout,
      fromTorch: weightFromTorchLayout,
    };
    this.weight = this.registerParameter(
      "weight",
      zeros([kd, kh, kw, this.inChannels, this.outChannels]),
      layout,
    );
    if (options.bias ?? true) this.bias = this.registerParameter("bias", zeros([this.outChannels]));
    defaultInit(this.weight, this.bias, this.weightFans(), options.generator);
  }

  /** Fans: channels times kernel volume. */
  weightFans(): Fans {
    const volume = this.kernelSize.reduce((a, b) => a * b, 1);
    return { fanIn: this.inChannels * volume, fanOut: this.outChannels * volume };
  }

  /** x (N, D, H, W, Cin) → (N, Do, Ho, Wo, Cout). */
  forward(x: Tensor): Tensor {
    return conv3d(x, this.weight, this.bias, {
      stride: this.stride as [number, number, number],
      padding: this.padding as [number, number, number],
      dilation: this.dilation as [number, number, number],
    });
  }
}

/** Settings of {@link Conv2d}. */
export interface Conv2dLayerOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Kernel size (H, W). */
  kernelSize: number | readonly [number, number];
  /** Stride (default 1). */
  stride?: number | readonly [number, number];
  /** Zero padding on both sides (default 0). */
  padding?: number | readonly [number, number];
  /** Dilation (default 1). */
  dilation?: number | readonly [number, number];
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/**
 * 2-D convolution of (N, H, W, Cin) images, run as a 3-D convolution with depth 1. The
 * weight is (1, kH, kW, Cin, Cout) internally and O×I×kH×kW in files.
 */
export class Conv2d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel (H, W). */
  readonly kernelSize: readonly number[];
  /** Stride (H, W). */
  readonly stride: readonly number[];
  /** Padding (H, W). */
  readonly padding: readonly number[];
  /** Dilation (H, W). */
  readonly dilation: readonly number[];
  /** Weight (1, kH, kW, Cin, Cout). */
  readonly weight: Tensor;
  /** Bias (Cout), when enabled. */
  readonly bias?: Tensor;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(options: Conv2dLayerOptions) {
    super();
    const name = "Conv2d";
    this.inChannels = positiveInteger(name, "inChannels", options.inChannels);
    this.outChannels = positiveInteger(name, "outChannels", options.outChannels);
    this.kernelSize = pairOf(name, "kernelSize", options.kernelSize, 1);
    this.stride = pairOf(name, "stride", options.stride ?? 1, 1);
    this.padding = pairOf(name, "padding", options.padding ?? 0, 0);
    this.dilation = pairOf(name, "dilation", options.dilation ?? 1, 1);
    const [kh, kw] = this.kernelSize;
    const [o, i] = [this.outChannels, this.inChannels];
    const layout: TorchLayout = {
      torchShape: [o, i, kh, kw],
      toTorch: (w) => {
        const full = weightToTorchLayout(w);
        const flat = reshape(full, [o, i, kh, kw]);
        full.dispose();
        return flat;
      },
      fromTorch: (w) => {
        const deep = reshape(w, [o, i, 1, kh, kw]);
        const internal = weightFromTorchLayout(deep);
        deep.dispose();
        return internal;
      },
    };
    this.weight = this.registerParameter("weight", zeros([1, kh, kw, i, o]), layout);
    if (options.bias ?? true) this.bias = this.registerParameter("bias", zeros([o]));
    defaultInit(this.weight, this.bias, this.weightFans(), options.generator);
  }

  /** Fans: channels times kernel area. */
  weightFans(): Fans {
    const area = this.kernelSize[0] * this.kernelSize[1];
    return { fanIn: this.inChannels * area, fanOut: this.outChannels * area };
  }

  /** x (N, H, W, Cin) → (N, Ho, Wo, Cout). */
  forward(x: Tensor): Tensor {
    if (x.rank !== 4) {
      throw new LayerArgumentError(`Conv2d expects (N, H, W, C) input, got [${x.shape}]`);
    }
    const [n, h, w, c] = x.shape;
    const deep = reshape(x, [n, 1, h, w, c]);
    const y = conv3d(deep, this.weight, this.bias, {
      stride: [1, this.stride[0], this.stride[1]],
      padding: [0, this.padding[0], this.padding[1]],
      dilation: [1, this.dilation[0], this.dilation[1]],
    });
    deep.dispose();
    const out = reshape(y, [n, y.shape[2], y.shape[3], y.shape[4]]);
    y.dispose();
    return out;
  }
}

/** Settings of {@link ConvTranspose3d}. */
export interface ConvTranspose3dLayerOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Kernel size per axis (D, H, W). */
  kernelSize: Triple;
  /** Stride (default: the kernel size, the usual up-sampling). */
  stride?: Triple;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/** Transposed 3-D convolution (padding 0), the up-sampling of U-Net decoders. */
export class ConvTranspose3d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel (D, H, W). */
  readonly kernelSize: readonly number[];
  /** Stride (D, H, W). */
  readonly stride: readonly number[];
  /** Weight (kD, kH, kW, Cin, Cout). */
  readonly weight: Tensor;
  /** Bias (Cout), when enabled. */
  readonly bias?: Tensor;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(options: ConvTranspose3dLayerOptions) {
    super();
    const name = "ConvTranspose3d";
    this.inChannels = positiveInteger(name, "inChannels", options.inChannels);
    this.outChannels = positiveInteger(name, "outChannels", options.outChannels);
    this.kernelSize = tripleOf(name, "kernelSize", options.kernelSize, 1);
    this.stride = tripleOf(name, "stride", options.stride ?? options.kernelSize, 1);
    const [kd, kh, kw] = this.kernelSize;
    const layout: TorchLayout = {
      torchShape: [this.inChannels, this.outChannels, kd, kh, kw],
      toTorch: transposedWeightToTorchLayout,
      fromTorch: transposedWeightFromTorchLayout,
    };
    this.weight = this.registerParameter(
      "weight",
      zeros([kd, kh, kw, this.inChannels, this.outChannels]),
      layout,
    );
    if (options.bias ?? true) this.bias = this.registerParameter("bias", zeros([this.outChannels]));
    defaultInit(this.weight, this.bias, this.weightFans(), options.generator);
  }

  /**
   * Fans as PyTorch computes them for this layer (its weight is I×O×k, so PyTorch's
   * "fan in" is the output channels times the kernel volume).
   */
  weightFans(): Fans {
    const volume = this.kernelSize.reduce((a, b) => a * b, 1);
    return { fanIn: this.outChannels * volume, fanOut: this.inChannels * volume };
  }

  /** x (N, D, H, W, Cin) → (N, D·sD, H·sH, W·sW, Cout) when kernel = stride. */
  forward(x: Tensor): Tensor {
    return convTranspose3d(x, this.weight, this.bias, {
      stride: this.stride as [number, number, number],
    });
  }
}
