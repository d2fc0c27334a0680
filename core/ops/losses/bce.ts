/**
 * Binary cross-entropy on logits, fused and stable: max(z, 0) − z·t + log(1 + e^−|z|),
 * gradient σ(z) − t. For one foreground class or multi-label (region) training.
 *
 * @module
 */

import { recordOp } from "../../autograd.ts";
import { gpu } from "../../device.ts";
import { scope } from "../../scope.ts";
import type { Tensor } from "../../tensor.ts";
import { broadcastView, runElementwise } from "../run_kernel.ts";
import { mean, sum } from "../reduce.ts";
import { checkBinaryTargets } from "./check.ts";
import type { LossReduction } from "./cross_entropy.ts";

/** Options of {@link sigmoidBceLoss}. */
export interface BceOptions {
  /** `mean` over all elements (default), `sum`, or `none` (per element). */
  reduction?: LossReduction;
}

const STABLE_SIGMOID = `fn stable_sigmoid(z: f32) -> f32 {
  let e = exp(-abs(z));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}`;

/**
 * Element-wise BCE of sigmoid(logits) against binary targets of the same shape (f32 or
 * i32 holding 0/1), like PyTorch's `binary_cross_entropy_with_logits`. Targets get no
 * gradient.
 *
 * @example
 * ```ts
 * import { sigmoidBceLoss } from "./bce.ts";
 * import { Tensor } from "../../tensor.ts";
 * import { getGpu } from "../../device.ts";
 * await getGpu();
 * const logits = Tensor.from([2, -1], [1, 1, 1, 2, 1]);
 * const targets = Tensor.from([1, 0], [1, 1, 1, 2, 1]);
 * const loss = sigmoidBceLoss(logits, targets);
 * ```
 */
export function sigmoidBceLoss(
  logits: Tensor,
  targets: Tensor,
  options: BceOptions = {},
): Tensor {
  gpu();
  checkBinaryTargets("sigmoidBceLoss", logits, targets);
  const reduction = options.reduction ?? "mean";
  if (!["mean", "sum", "none"].includes(reduction)) {
    throw new RangeError(`sigmoidBceLoss: unknown reduction '${reduction}'`);
  }
  return scope(() => {
    const shape = logits.shape;
    const perElement = runElementwise(
      shape,
      "f32",
      [broadcastView(logits, shape), broadcastView(targets, shape)],
      "max(v0, 0.0) - v0 * f32(v1) + log(1.0 + exp(-abs(v0)))",
    );
    recordOp(perElement, "sigmoidBce", [logits], (g) => [
      runElementwise(
        shape,
        "f32",
        [broadcastView(g, shape), broadcastView(logits, shape), broadcastView(targets, shape)],
        "v0 * (stable_sigmoid(v1) - f32(v2))",
        { prelude: STABLE_SIGMOID },
      ),
    ], [logits, targets]);
    if (reduction === "none") return perElement;
    return reduction === "sum" ? sum(perElement) : mean(perElement);
  });
}
