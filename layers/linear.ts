/**
 * Fully connected layer y = x·Wᵀ + b over the last axis.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import type { RandomGenerator } from "../core/random.ts";
import { zeros } from "../core/ops/creation.ts";
import { add } from "../core/ops/binary.ts";
import { matmul } from "../core/ops/matmul.ts";
import { reshape } from "../core/ops/movement.ts";
import { type Fans, kaimingUniform, uniformInit } from "./init.ts";
import { Module } from "./module.ts";
import { LayerArgumentError } from "./errors.ts";

/** Settings of {@link Linear}. */
export interface LinearOptions {
  /** Size of the last input axis. */
  inFeatures: number;
  /** Size of the last output axis. */
  outFeatures: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/**
 * A linear map of the last axis. The weight is (out, in) as in PyTorch and is read
 * transposed by the matmul kernel, so files load without conversion. Initialised as
 * PyTorch does: U(±1/√in) for weight and bias.
 *
 * @example
 * ```ts
 * import { Linear } from "./linear.ts";
 * import { Tensor } from "../core/mod.ts";
 * import { getGpu } from "../core/device.ts";
 * await getGpu();
 * const layer = new Linear({ inFeatures: 3, outFeatures: 2 });
 * const y = layer.forward(Tensor.from([1, 2, 3, 4, 5, 6], [2, 3])); // shape [2, 2]
 * ```
 */
export class Linear extends Module {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** Weight, (out, in). */
  readonly weight: Tensor;
  /** Bias, (out), when enabled. */
  readonly bias?: Tensor;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(options: LinearOptions) {
    super();
    const { inFeatures, outFeatures } = options;
    positiveInteger("Linear", "inFeatures", inFeatures);
    positiveInteger("Linear", "outFeatures", outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter("weight", zeros([outFeatures, inFeatures]));
    // kaiming_uniform with a = √5, PyTorch's default for Linear, is U(±1/√fanIn).
    kaimingUniform(this.weight, this.weightFans(), {
      negativeSlope: Math.sqrt(5),
      generator: options.generator,
    });
    if (options.bias ?? true) {
      const bound = 1 / Math.sqrt(inFeatures);
      this.bias = this.registerParameter("bias", zeros([outFeatures]));
      uniformInit(this.bias, -bound, bound, options.generator);
    }
  }

  /** Fans of the weight. */
  weightFans(): Fans {
    return { fanIn: this.inFeatures, fanOut: this.outFeatures };
  }

  /** x (…, in) → (…, out). */
  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new LayerArgumentError(
        `Linear(${this.inFeatures} → ${this.outFeatures}) got input [${x.shape}]`,
      );
    }
    const flat = x.rank === 1 ? reshape(x, [1, this.inFeatures]) : x;
    const product = matmul(flat, this.weight, { transposeB: true });
    if (flat !== x) flat.dispose();
    let y = product;
    if (this.bias) {
      y = add(product, this.bias);
      product.dispose();
    }
    if (x.rank !== 1) return y;
    const out = reshape(y, [this.outFeatures]);
    y.dispose();
    return out;
  }
}

/** Throws {@link LayerArgumentError} unless `value` is a positive integer. */
export function positiveInteger(layer: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new LayerArgumentError(`${layer}: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
