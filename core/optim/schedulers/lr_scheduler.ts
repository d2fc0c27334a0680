/**
 * The contract every learning-rate schedule follows, and a base class that keeps the
 * step count and the saved state so each schedule only states its formula.
 *
 * A schedule is a pure function of the step: `lr(step)` never changes anything, and
 * `step()` only advances the counter. Call `step()` once per optimizer update (or once per
 * epoch, if the schedule is counted in epochs as nnU-Net does).
 *
 * @module
 */

/** What `stateDict()` returns: plain JSON-safe data that resumes a schedule exactly. */
export interface LRSchedulerState {
  /** Which schedule wrote the state, e.g. `"poly"`; loading into another kind fails. */
  readonly kind: string;
  /** The step counter at the time of saving. */
  readonly step: number;
  /** The schedule's settings (learning rates, lengths, exponents), all numbers. */
  readonly config: Readonly<Record<string, number>>;
}

/**
 * A learning-rate schedule.
 *
 * @example
 * ```ts
 * import type { LRScheduler } from "./lr_scheduler.ts";
 * function trainSteps(schedule: LRScheduler, steps: number, setLR: (lr: number) => void) {
 *   for (let i = 0; i < steps; i++) {
 *     setLR(schedule.lr());
 *     // ... forward, backward, optimizer update ...
 *     schedule.step();
 *   }
 * }
 * ```
 */
export interface LRScheduler {
  /** Name of the schedule family, stored in the state dict. */
  readonly kind: string;
  /** How many times `step()` has been called (or the step restored by `loadStateDict`). */
  readonly currentStep: number;
  /** The learning rate at `step` (default: the current step). Has no side effects. */
  lr(step?: number): number;
  /** Advances the counter by one and returns the learning rate at the new step. */
  step(): number;
  /** The counter and settings, as JSON-safe data. */
  stateDict(): LRSchedulerState;
  /**
   * Restores the counter and settings from `stateDict()` output, so that the schedule
   * continues exactly as the saved one would have (as PyTorch's `load_state_dict` does,
   * the saved settings replace the constructed ones).
   */
  loadStateDict(state: LRSchedulerState): void;
}

/**
 * Thrown when a schedule is given settings or a state it cannot use; the message names
 * the setting and what it must be.
 */
export class LRSchedulerConfigError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LRSchedulerConfigError";
  }
}

/**
 * Base for schedules: keeps the step counter, validates steps, and saves and restores
 * state. Subclasses parse their settings and give the formula.
 *
 * @typeParam Config The schedule's complete settings, defaults filled in.
 */
export abstract class BaseLRScheduler<Config extends object> implements LRScheduler {
  /** Name of the schedule family, stored in the state dict. */
  abstract readonly kind: string;
  #step = 0;
  #config: Config;

  /** Parses `options` (throwing {@link LRSchedulerConfigError} on bad values). */
  protected constructor(options: object) {
    this.#config = this.parseConfig(options as Readonly<Record<string, unknown>>);
  }

  /** The settings in use, defaults filled in. */
  get config(): Readonly<Config> {
    return this.#config;
  }

  /** How many times `step()` has been called (or the step restored by `loadStateDict`). */
  get currentStep(): number {
    return this.#step;
  }

  /** The learning rate at `step` (default: the current step). Has no side effects. */
  lr(step: number = this.#step): number {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new LRSchedulerConfigError(`${this.kind}: step must be an integer >= 0, got ${step}`);
    }
    return this.lrAt(step, this.#config);
  }

  /** Advances the counter by one and returns the learning rate at the new step. */
  step(): number {
    this.#step += 1;
    return this.lr();
  }

  /** The counter and settings, as JSON-safe data. */
  stateDict(): LRSchedulerState {
    return {
      kind: this.kind,
      step: this.#step,
      config: { ...this.#config } as Record<string, number>,
    };
  }

  /** Restores the counter and settings saved by `stateDict()`. */
  loadStateDict(state: LRSchedulerState): void {
    if (state?.kind !== this.kind) {
      throw new LRSchedulerConfigError(
        `cannot load a "${state?.kind}" scheduler state into a "${this.kind}" scheduler`,
      );
    }
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new LRSchedulerConfigError(`${this.kind}: saved step must be an integer >= 0`);
    }
    // Parse before assigning anything, so a bad state leaves the schedule unchanged.
    const config = this.parseConfig(state.config ?? {});
    this.#config = config;
    this.#step = state.step;
  }

  /** Validates raw settings (from a constructor or a saved state) and fills defaults. */
  protected abstract parseConfig(raw: Readonly<Record<string, unknown>>): Config;

  /** The formula: the learning rate at a (valid) step. */
  protected abstract lrAt(step: number, config: Readonly<Config>): number;
}
