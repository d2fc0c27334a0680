/**
 * Linear warm-up followed by linear decay.
 *
 * @module
 */

import { BaseLRScheduler } from "./lr_scheduler.ts";
import { linearWarmupLR, readSetting, readWarmup } from "./schedule_config.ts";

const KIND = "linear";

/** Settings of {@link LinearLR}. */
export interface LinearLROptions {
  /** Peak learning rate, reached at the end of the warm-up. */
  baseLR: number;
  /** Step at which the rate reaches `finalLR`; later steps stay there. */
  totalSteps: number;
  /** Steps of linear warm-up before the decay; default 0 (none). */
  warmupSteps?: number;
  /** Learning rate at step 0 when warming up; default 0. */
  warmupStartLR?: number;
  /** Learning rate at and after `totalSteps`; default 0. Equal to `baseLR`: warm-up only. */
  finalLR?: number;
}

/**
 * Linear warm-up from `warmupStartLR` to `baseLR` over `warmupSteps`, then a straight
 * line from `baseLR` to `finalLR` at `totalSteps`; from `totalSteps` on the rate stays
 * `finalLR`. (Unlike PyTorch's `LinearLR`, which scales by factors, the ends here are
 * learning rates.)
 *
 * @example
 * ```ts
 * import { LinearLR } from "./linear.ts";
 * const schedule = new LinearLR({ baseLR: 0.1, totalSteps: 10 });
 * schedule.lr(5); // 0.05
 * schedule.lr(20); // 0
 * ```
 */
export class LinearLR extends BaseLRScheduler<Required<LinearLROptions>> {
  /** `"linear"`. */
  readonly kind: string = KIND;

  /** Creates the schedule; throws `LRSchedulerConfigError` on invalid settings. */
  constructor(options: LinearLROptions) {
    super(options);
  }

  /** Validates settings and fills defaults. */
  protected parseConfig(raw: Readonly<Record<string, unknown>>): Required<LinearLROptions> {
    const totalSteps = readSetting(KIND, raw, "totalSteps", { integer: true, above: 0 });
    return {
      baseLR: readSetting(KIND, raw, "baseLR", { min: 0 }),
      totalSteps,
      ...readWarmup(KIND, raw, totalSteps),
      finalLR: readSetting(KIND, raw, "finalLR", { default: 0, min: 0 }),
    };
  }

  /** Warm-up, straight line, then `finalLR`. */
  protected lrAt(step: number, config: Readonly<Required<LinearLROptions>>): number {
    const { baseLR, totalSteps, warmupSteps, warmupStartLR, finalLR } = config;
    if (step < warmupSteps) return linearWarmupLR(step, warmupSteps, warmupStartLR, baseLR);
    if (step >= totalSteps) return finalLR;
    const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
    return baseLR + (finalLR - baseLR) * progress;
  }
}
