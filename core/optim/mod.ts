/**
 * Optimisation: learning-rate schedules, fused GPU optimizers (SGD, AdamW), gradient
 * clipping by global norm and an exponential moving average of weights. Set
 * `optimizer.lr = schedule.lr()` before each `optimizer.step()`.
 *
 * @example
 * ```ts
 * import { CosineLR } from "./mod.ts";
 * const schedule = new CosineLR({ baseLR: 1e-3, totalSteps: 1000, warmupSteps: 50 });
 * schedule.step(); // learning rate for step 1
 * ```
 *
 * @module
 */

export * from "./schedulers/mod.ts";
export * from "./optimizer.ts";
export * from "./sgd.ts";
export * from "./adamw.ts";
export * from "./clip_grad.ts";
export * from "./ema.ts";
