/**
 * Activation functions as modules, so configurations can name and swap them.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import { relu, sigmoid, tanh } from "../core/ops/unary.ts";
import { elu, gelu, leakyRelu, prelu } from "../core/ops/activations.ts";
import { full } from "../core/ops/creation.ts";
import { Module } from "./module.ts";
import { LayerArgumentError } from "./errors.ts";
import { positiveInteger } from "./linear.ts";

/** max(x, 0). */
export class ReLU extends Module {
  /** Accepts PyTorch's `inplace` flag and ignores it (every op here is out of place). */
  constructor(_options: { inplace?: boolean } = {}) {
    super();
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** 1 / (1 + e⁻ˣ). */
export class Sigmoid extends Module {
  /** Creates the layer. */
  constructor() {
    super();
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Module {
  /** Creates the layer. */
  constructor() {
    super();
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** x for x > 0, slope·x otherwise. */
export class LeakyReLU extends Module {
  /** Slope for negative inputs. */
  readonly negativeSlope: number;

  /** Creates the layer (slope 0.01 by default, as PyTorch and nnU-Net). */
  constructor(options: { negativeSlope?: number; inplace?: boolean } = {}) {
    super();
    const slope = options.negativeSlope ?? 0.01;
    if (typeof slope !== "number" || !Number.isFinite(slope)) {
      throw new LayerArgumentError(`LeakyReLU: negativeSlope must be a number, got ${slope}`);
    }
    this.negativeSlope = slope;
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** x for x > 0, w·x otherwise, with learned slopes (one shared, or one per channel). */
export class PReLU extends Module {
  /** The slopes (numParameters). */
  readonly weight: Tensor;

  /** Creates the layer: `numParameters` slopes (1 or C), each starting at `init` (0.25). */
  constructor(options: { numParameters?: number; init?: number } = {}) {
    super();
    const count = positiveInteger("PReLU", "numParameters", options.numParameters ?? 1);
    this.weight = this.registerParameter("weight", full([count], options.init ?? 0.25));
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}

/** x for x > 0, α·(eˣ − 1) otherwise. */
export class ELU extends Module {
  /** α. */
  readonly alpha: number;

  /** Creates the layer (α = 1 by default). */
  constructor(options: { alpha?: number; inplace?: boolean } = {}) {
    super();
    this.alpha = options.alpha ?? 1;
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}

/** x·Φ(x), exact or with the tanh approximation. */
export class GELU extends Module {
  /** `"none"` (exact) or `"tanh"`. */
  readonly approximate: "none" | "tanh";

  /** Creates the layer. */
  constructor(options: { approximate?: "none" | "tanh" } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
}
