/**
 * Step decay: the learning rate is multiplied by `gamma` every `stepSize` steps.
 *
 * @module
 */

import { BaseLRScheduler } from "./lr_scheduler.ts";
import { readSetting } from "./schedule_config.ts";

const KIND = "step_decay";

/** Settings of {@link StepDecayLR}. */
export interface StepDecayLROptions {
  /** Learning rate for the first `stepSize` steps. */
  baseLR: number;
  /** Number of steps between decays. */
  stepSize: number;
  /** Factor applied at each decay; default 0.1. */
  gamma?: number;
  /** Floor the rate never goes below; default 0 (no floor). */
  minLR?: number;
}

/**
 * `lr(step) = max(minLR, baseLR · gamma ^ floor(step / stepSize))`, as PyTorch's `StepLR`
 * plus an optional floor. The schedule has no end: without a floor the rate keeps
 * shrinking geometrically.
 *
 * @example
 * ```ts
 * import { StepDecayLR } from "./step_decay.ts";
 * const schedule = new StepDecayLR({ baseLR: 0.1, stepSize: 30, gamma: 0.5 });
 * schedule.lr(29); // 0.1
 * schedule.lr(30); // 0.05
 * ```
 */
export class StepDecayLR extends BaseLRScheduler<Required<StepDecayLROptions>> {
  /** `"step_decay"`. */
  readonly kind: string = KIND;

  /** Creates the schedule; throws `LRSchedulerConfigError` on invalid settings. */
  constructor(options: StepDecayLROptions) {
    super(options);
  }

  /** Validates settings and fills defaults. */
  protected parseConfig(raw: Readonly<Record<string, unknown>>): Required<StepDecayLROptions> {
    return {
      baseLR: readSetting(KIND, raw, "baseLR", { min: 0 }),
      stepSize: readSetting(KIND, raw, "stepSize", { integer: true, above: 0 }),
      gamma: readSetting(KIND, raw, "gamma", { default: 0.1, above: 0 }),
      minLR: readSetting(KIND, raw, "minLR", { default: 0, min: 0 }),
    };
  }

  /** The geometric formula with its floor. */
  protected lrAt(step: number, config: Readonly<Required<StepDecayLROptions>>): number {
    const decays = Math.floor(step / config.stepSize);
    return Math.max(config.minLR, config.baseLR * config.gamma ** decays);
  }
}
