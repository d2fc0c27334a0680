/**
 * The layer that returns its input: a placeholder where a configuration asks for no
 * layer (e.g. no normalisation).
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import { reshape } from "../core/ops/movement.ts";
import { Module } from "./module.ts";

/**
 * Returns its input as a new tensor sharing the same storage (no copy), so callers may
 * dispose input and output independently; the gradient passes through.
 */
export class Identity extends Module {
  /** Accepts and ignores any settings, so it can stand in for any layer kind. */
  constructor(_options: Record<string, unknown> = {}) {
    super();
  }

  /** y = x. */
  forward(x: Tensor): Tensor {
    return reshape(x, x.shape);
  }
}
