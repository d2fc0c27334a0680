/**
 * Polynomial decay, nnU-Net's default: `baseLR · (1 − step / totalSteps) ^ exponent`.
 *
 * @module
 */

import { BaseLRScheduler } from "./lr_scheduler.ts";
import { readSetting } from "./schedule_config.ts";

const KIND = "poly";

/** Settings of {@link PolyLR}. */
export interface PolyLROptions {
  /** Learning rate at step 0 (nnU-Net uses 1e-2 with SGD). */
  baseLR: number;
  /** Step at which the rate reaches 0; later steps stay at 0. */
  totalSteps: number;
  /** Decay exponent; default 0.9 as in nnU-Net. */
  exponent?: number;
}

/**
 * Polynomial decay from `baseLR` to 0 over `totalSteps`:
 * `lr(step) = baseLR · (1 − min(step, totalSteps) / totalSteps) ^ exponent`.
 * Past the end the rate stays 0 (the formula itself would leave the reals).
 *
 * @example
 * ```ts
 * import { PolyLR } from "./poly.ts";
 * const schedule = new PolyLR({ baseLR: 0.01, totalSteps: 1000 });
 * schedule.lr(0); // 0.01
 * schedule.lr(500); // 0.01 * 0.5 ** 0.9
 * schedule.lr(1000); // 0
 * ```
 */
export class PolyLR extends BaseLRScheduler<Required<PolyLROptions>> {
  /** `"poly"`. */
  readonly kind: string = KIND;

  /** Creates the schedule; throws `LRSchedulerConfigError` on invalid settings. */
  constructor(options: PolyLROptions) {
    super(options);
  }

  /** Validates settings and fills defaults. */
  protected parseConfig(raw: Readonly<Record<string, unknown>>): Required<PolyLROptions> {
    return {
      baseLR: readSetting(KIND, raw, "baseLR", { min: 0 }),
      totalSteps: readSetting(KIND, raw, "totalSteps", { integer: true, above: 0 }),
      exponent: readSetting(KIND, raw, "exponent", { default: 0.9, above: 0 }),
    };
  }

  /** The polynomial formula, clamped at the end. */
  protected lrAt(step: number, config: Readonly<Required<PolyLROptions>>): number {
    const remaining = 1 - Math.min(step, config.totalSteps) / config.totalSteps;
    return config.baseLR * remaining ** config.exponent;
  }
}
