/**
 * Parameter initialisers (Kaiming/He, Xavier/Glorot, zeros, constant), seeded through a
 * {@link RandomGenerator}. Each fills an existing tensor in place, so the tensors an
 * optimizer already holds stay valid.
 *
 * @module
 */

import { noGrad } from "../core/autograd.ts";
import { globalGenerator, type RandomGenerator } from "../core/random.ts";
import type { Tensor } from "../core/tensor.ts";
import { assign } from "../core/ops/assign.ts";
import { full } from "../core/ops/creation.ts";
import type { AnyModule } from "./module.ts";

/** Fan-in and fan-out of a weight: inputs and outputs per output unit, kernel included. */
export interface Fans {
  /** Input channels × kernel volume. */
  fanIn: number;
  /** Output channels × kernel volume. */
  fanOut: number;
}

/** Fans of a weight given in PyTorch's layout (out, in, …kernel). */
export function torchFans(shape: readonly number[]): Fans {
  if (shape.length < 2) throw new RangeError(`fans need a weight of rank >= 2, got [${shape}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Options of the Kaiming initialisers. */
export interface KaimingOptions {
  /** Negative slope a of the LeakyReLU that follows (0 for ReLU; nnU-Net uses 1e-2). */
  negativeSlope?: number;
  /** Preserve the variance of the forward (`fanIn`, default) or backward (`fanOut`) pass. */
  mode?: "fanIn" | "fanOut";
  /** Source of randomness (default: the global generator). */
  generator?: RandomGenerator;
}

/** Options of the Xavier initialisers. */
export interface XavierOptions {
  /** Scales the bound / standard deviation (default 1). */
  gain?: number;
  /** Source of randomness (default: the global generator). */
  generator?: RandomGenerator;
}

/** Gain √(2 / (1 + a²)) of a LeakyReLU with negative slope a. */
export function leakyReluGain(negativeSlope: number): number {
  return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
}

function fill(target: Tensor, make: () => Tensor): Tensor {
  noGrad(() => {
    const value = make();
    assign(target, value);
    value.dispose();
  });
  return target;
}

function kaimingScale(fans: Fans, options: KaimingOptions): number {
  const fan = (options.mode ?? "fanIn") === "fanIn" ? fans.fanIn : fans.fanOut;
  if (!(fan > 0)) throw new RangeError(`Kaiming init needs a positive fan, got ${fan}`);
  return leakyReluGain(options.negativeSlope ?? 0) / Math.sqrt(fan);
}

/**
 * He normal: N(0, σ²) with σ = gain / √fan. Returns `target`.
 *
 * @example
 * ```ts
 * import { kaimingNormal, torchFans } from "./init.ts";
 * import { RandomGenerator, zeros } from "../core/mod.ts";
 * import { getGpu } from "../core/device.ts";
 * await getGpu();
 * const w = zeros([8, 4, 3, 3, 3]);
 * kaimingNormal(w, torchFans(w.shape), { negativeSlope: 1e-2, generator: new RandomGenerator(1) });
 * ```
 */
export function kaimingNormal(target: Tensor, fans: Fans, options: KaimingOptions = {}): Tensor {
  const std = kaimingScale(fans, options);
  const rng = options.generator ?? globalGenerator();
  return fill(target, () => rng.normal(target.shape, 0, std));
}

/** He uniform: U(−b, b) with b = gain · √(3 / fan). Returns `target`. */
export function kaimingUniform(target: Tensor, fans: Fans, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingScale(fans, options);
  const rng = options.generator ?? globalGenerator();
  return fill(target, () => rng.uniform(target.shape, -bound, bound));
}

/** Glorot uniform: U(−b, b) with b = gain · √(6 / (fanIn + fanOut)). Returns `target`. */
export function xavierUniform(target: Tensor, fans: Fans, options: XavierOptions = {}): Tensor {
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fans.fanIn + fans.fanOut));
  const rng = options.generator ?? globalGenerator();
  return fill(target, () => rng.uniform(target.shape, -bound, bound));
}

/** Glorot normal: N(0, σ²) with σ = gain · √(2 / (fanIn + fanOut)). Returns `target`. */
export function xavierNormal(target: Tensor, fans: Fans, options: XavierOptions = {}): Tensor {
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fans.fanIn + fans.fanOut));
  const rng = options.generator ?? globalGenerator();
  return fill(target, () => rng.normal(target.shape, 0, std));
}

/** Uniform U(low, high). Returns `target`. */
export function uniformInit(
  target: Tensor,
  low: number,
  high: number,
  generator: RandomGenerator = globalGenerator(),
): Tensor {
  return fill(target, () => generator.uniform(target.shape, low, high));
}

/** Fills with `value`. Returns `target`. */
export function constantInit(target: Tensor, value: number): Tensor {
  return fill(target, () => full(target.shape, value, target.dtype));
}

/** Fills with zeros. Returns `target`. */
export function zerosInit(target: Tensor): Tensor {
  return constantInit(target, 0);
}

/** A layer whose weight an initialiser can fill: it knows its fans. */
export interface HasWeightFans {
  /** The weight tensor. */
  readonly weight: Tensor;
  /** The bias, when the layer has one. */
  readonly bias?: Tensor;
  /** Fans of the weight (independent of its internal layout). */
  weightFans(): Fans;
}

function hasWeightFans(m: unknown): m is HasWeightFans {
  return typeof (m as Partial<HasWeightFans>).weightFans === "function";
}

/**
 * nnU-Net's He initialisation: every convolution and linear weight in the tree gets
 * Kaiming normal with negative slope `negativeSlope` (default 1e-2), every bias zero.
 */
export function heInitialize(
  module: AnyModule,
  options: { negativeSlope?: number; generator?: RandomGenerator } = {},
): void {
  for (const m of module.namedModules().values()) {
    if (!hasWeightFans(m)) continue;
    kaimingNormal(m.weight, m.weightFans(), {
      negativeSlope: options.negativeSlope ?? 1e-2,
      generator: options.generator,
    });
    if (m.bias) zerosInit(m.bias);
  }
}
