/**
 * Optimisation: learning-rate schedules (optimizers join them here).
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
