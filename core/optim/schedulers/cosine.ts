/**
 * Cosine annealing with an optional linear warm-up.
 *
 * @module
 */

import { BaseLRScheduler } from "./lr_scheduler.ts";
import { linearWarmupLR, readSetting, readWarmup } from "./schedule_config.ts";

const KIND = "cosine";

/** Settings of {@link CosineLR}. */
export interface CosineLROptions {
  /** Peak learning rate, reached at the end of the warm-up. */
  baseLR: number;
  /** Step at which the rate reaches `minLR`; later steps stay there. */
  totalSteps: number;
  /** Steps of linear warm-up before the cosine; default 0 (none). */
  warmupSteps?: number;
  /** Learning rate at step 0 when warming up; default 0. */
  warmupStartLR?: number;
  /** Learning rate at and after `totalSteps`; default 0. */
  minLR?: number;
}

/**
 * Linear warm-up from `warmupStartLR` to `baseLR` over `warmupSteps`, then a half cosine
 * from `baseLR` down to `minLR` at `totalSteps`:
 * `lr = minLR + (baseLR − minLR) · (1 + cos(π · (step − warmupSteps) / (totalSteps − warmupSteps))) / 2`.
 * From `totalSteps` on the rate stays `minLR`.
 *
 * @example
 * ```ts
 * import { CosineLR } from "./cosine.ts";
 * const schedule = new CosineLR({ baseLR: 1e-3, totalSteps: 100, warmupSteps: 10 });
 * schedule.lr(5); // 5e-4, half-way through the warm-up
 * schedule.lr(55); // 5e-4, half-way down the cosine
 * ```
 */
export class CosineLR extends BaseLRScheduler<Required<CosineLROptions>> {
  /** `"cosine"`. */
  readonly kind: string = KIND;

  /** Creates the schedule; throws `LRSchedulerConfigError` on invalid settings. */
  constructor(options: CosineLROptions) {
    super(options);
  }

  /** Validates settings and fills defaults. */
  protected parseConfig(raw: Readonly<Record<string, unknown>>): Required<CosineLROptions> {
    const totalSteps = readSetting(KIND, raw, "totalSteps", { integer: true, above: 0 });
    return {
      baseLR: readSetting(KIND, raw, "baseLR", { min: 0 }),
      totalSteps,
      ...readWarmup(KIND, raw, totalSteps),
      minLR: readSetting(KIND, raw, "minLR", { default: 0, min: 0 }),
    };
  }

  /** Warm-up, cosine, then `minLR`. */
  protected lrAt(step: number, config: Readonly<Required<CosineLROptions>>): number {
    const { baseLR, totalSteps, warmupSteps, warmupStartLR, minLR } = config;
    if (step < warmupSteps) return linearWarmupLR(step, warmupSteps, warmupStartLR, baseLR);
    if (step >= totalSteps) return minLR;
    const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
    return minLR + (baseLR - minLR) * (1 + Math.cos(Math.PI * progress)) / 2;
  }
}
