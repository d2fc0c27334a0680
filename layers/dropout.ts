/**
 * Dropout as a module: active in training mode, the identity in evaluation mode.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import type { RandomGenerator } from "../core/random.ts";
import { dropout } from "../core/ops/dropout.ts";
import { Module } from "./module.ts";
import { LayerArgumentError } from "./errors.ts";

/** Settings of {@link Dropout}. */
export interface DropoutLayerOptions {
  /** Probability of zeroing each element (default 0.5). */
  p?: number;
  /** Source of the masks (default: the global generator). */
  generator?: RandomGenerator;
}

/** Zeroes each element with probability p in training and rescales the rest by 1/(1 − p). */
export class Dropout extends Module {
  /** Drop probability. */
  readonly p: number;
  readonly #generator?: RandomGenerator;

  /** Creates the layer. */
  constructor(options: DropoutLayerOptions = {}) {
    super();
    const p = options.p ?? 0.5;
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new LayerArgumentError(`Dropout: p must be in [0, 1], got ${p}`);
    }
    this.p = p;
    this.#generator = options.generator;
  }

  /** Applies dropout in training mode; returns x unchanged (a view) in evaluation. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.#generator });
  }
}
