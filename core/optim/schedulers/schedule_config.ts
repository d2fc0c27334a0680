/**
 * Checked reading of schedule settings, shared by the schedules in this folder. Settings
 * arrive from constructors and from saved states (JSON), so each value is checked at
 * run time, not only by the type checker.
 *
 * @module
 */

import { LRSchedulerConfigError } from "./lr_scheduler.ts";

/** What a setting must be. */
export interface NumberRule {
  /** Value used when the setting is absent; without it the setting is required. */
  readonly default?: number;
  /** The setting must be a whole number. */
  readonly integer?: boolean;
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Smallest allowed value (exclusive). */
  readonly above?: number;
}

/**
 * Reads `raw[key]` as a finite number obeying `rule`, or throws an
 * {@link LRSchedulerConfigError} naming the schedule and the setting.
 */
export function readSetting(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  key: string,
  rule: NumberRule = {},
): number {
  const value = raw[key] ?? rule.default;
  const fail = (what: string): never => {
    throw new LRSchedulerConfigError(`${kind}: ${key} must be ${what}, got ${raw[key]}`);
  };
  if (typeof value !== "number" || !Number.isFinite(value)) fail("a finite number");
  const number = value as number;
  if (rule.integer && !Number.isSafeInteger(number)) fail("an integer");
  if (rule.min !== undefined && number < rule.min) fail(`>= ${rule.min}`);
  if (rule.above !== undefined && number <= rule.above) fail(`> ${rule.above}`);
  return number;
}

/**
 * Reads the warm-up settings shared by the warm-up schedules and checks that the warm-up
 * fits inside the schedule.
 */
export function readWarmup(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  totalSteps: number,
): { warmupSteps: number; warmupStartLR: number } {
  const warmupSteps = readSetting(kind, raw, "warmupSteps", { default: 0, integer: true, min: 0 });
  if (warmupSteps > totalSteps) {
    throw new LRSchedulerConfigError(
      `${kind}: warmupSteps (${warmupSteps}) must not exceed totalSteps (${totalSteps})`,
    );
  }
  const warmupStartLR = readSetting(kind, raw, "warmupStartLR", { default: 0, min: 0 });
  return { warmupSteps, warmupStartLR };
}

/** Linear warm-up from `startLR` at step 0 towards `targetLR` at step `warmupSteps`. */
export function linearWarmupLR(
  step: number,
  warmupSteps: number,
  startLR: number,
  targetLR: number,
): number {
  return startLR + (targetLR - startLR) * (step / warmupSteps);
}
