/**
 * Learning-rate schedules: polynomial (nnU-Net), cosine with warm-up, linear warm-up and
 * decay, and step decay. Each is a pure function of the step with a JSON-safe state dict.
 *
 * @example
 * ```ts
 * import { PolyLR } from "./mod.ts";
 * const schedule = new PolyLR({ baseLR: 0.01, totalSteps: 250 });
 * const saved = JSON.stringify(schedule.stateDict());
 * schedule.loadStateDict(JSON.parse(saved));
 * ```
 *
 * @module
 */

export {
  BaseLRScheduler,
  type LRScheduler,
  LRSchedulerConfigError,
  type LRSchedulerState,
} from "./lr_scheduler.ts";
export { CosineLR, type CosineLROptions } from "./cosine.ts";
export { LinearLR, type LinearLROptions } from "./linear.ts";
export { PolyLR, type PolyLROptions } from "./poly.ts";
export { StepDecayLR, type StepDecayLROptions } from "./step_decay.ts";
