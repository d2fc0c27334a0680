/**
 * Argument checks shared by the segmentation losses.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";

/** Raised when a loss gets tensors of the wrong shape or type. */
export class LossArgumentError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LossArgumentError";
  }
}

/** Checks f32 logits (N, …, K) against an i32 label map (N, …). */
export function checkLabels(loss: string, logits: Tensor, labels: Tensor): void {
  if (logits.dtype !== "f32") {
    throw new LossArgumentError(`${loss}: logits must be f32, got ${logits.dtype}`);
  }
  if (logits.rank < 2) {
    throw new LossArgumentError(`${loss}: logits must be (N, …, K), got [${logits.shape}]`);
  }
  if (labels.dtype !== "i32") {
    throw new LossArgumentError(`${loss}: labels must be i32 class indices, got ${labels.dtype}`);
  }
  if (labels.shape.join() !== logits.shape.slice(0, -1).join()) {
    throw new LossArgumentError(
      `${loss}: labels [${labels.shape}] must be logits [${logits.shape}] without the class axis`,
    );
  }
}

/** Checks f32 logits against same-shaped binary targets (f32 or i32 holding 0/1). */
export function checkBinaryTargets(loss: string, logits: Tensor, targets: Tensor): void {
  if (logits.dtype !== "f32") {
    throw new LossArgumentError(`${loss}: logits must be f32, got ${logits.dtype}`);
  }
  if (logits.rank < 2) {
    throw new LossArgumentError(`${loss}: logits must be (N, …, K), got [${logits.shape}]`);
  }
  if (targets.dtype === "u32") {
    throw new LossArgumentError(`${loss}: targets must be f32 or i32, got u32`);
  }
  if (targets.shape.join() !== logits.shape.join()) {
    throw new LossArgumentError(
      `${loss}: targets [${targets.shape}] must have the logits' shape [${logits.shape}]`,
    );
  }
}
