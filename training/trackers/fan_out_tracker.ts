/**
 * Sends every event to several trackers at once, isolating their failures.
 *
 * @module
 */

import type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";

/** Settings of {@link FanOutTracker}. */
export interface FanOutTrackerOptions {
  /** Where failure messages go; default `console.warn`. */
  log?: (message: string) => void;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A {@link Tracker} that forwards each event to all of `trackers` concurrently. A tracker that
 * throws (or rejects) never stops the others nor the training: its first failure is logged,
 * later ones only counted (a dashboard that is down would otherwise flood the log every
 * epoch), and it keeps receiving events in case it recovers.
 *
 * @example
 * ```ts
 * import { FanOutTracker } from "./fan_out_tracker.ts";
 * import { LocalTracker } from "./local_tracker.ts";
 * const tracker = new FanOutTracker([new LocalTracker(await Deno.makeTempDir())]);
 * ```
 */
export class FanOutTracker implements Tracker {
  readonly #trackers: readonly Tracker[];
  readonly #log: (message: string) => void;
  readonly #failures: number[];

  /** Forwards to `trackers`, in parallel. */
  constructor(trackers: readonly Tracker[], options: FanOutTrackerOptions = {}) {
    this.#trackers = [...trackers];
    this.#log = options.log ?? ((message) => console.warn(message));
    this.#failures = trackers.map(() => 0);
  }

  /** How many calls each tracker has failed, in the order given to the constructor. */
  get failureCounts(): readonly number[] {
    return [...this.#failures];
  }

  async #forward(event: string, call: (tracker: Tracker) => Promise<void>): Promise<void> {
    await Promise.all(this.#trackers.map(async (tracker, index) => {
      try {
        await call(tracker);
      } catch (error) {
        this.#failures[index]++;
        if (this.#failures[index] === 1) {
          const name = tracker.constructor?.name || "tracker";
          this.#log(
            `Tracker ${index} (${name}) failed in ${event}: ${describe(error)}. ` +
              "Training continues; further failures of this tracker are not logged.",
          );
        }
      }
    }));
  }

  /** Forwards {@link Tracker.experimentCreated}. */
  experimentCreated(info: ExperimentInfo): Promise<void> {
    return this.#forward("experimentCreated", (tracker) => tracker.experimentCreated(info));
  }

  /** Forwards {@link Tracker.epochEnded}. */
  epochEnded(record: EpochRecord): Promise<void> {
    return this.#forward("epochEnded", (tracker) => tracker.epochEnded(record));
  }

  /** Forwards {@link Tracker.completed}. */
  completed(summary: ExperimentSummary): Promise<void> {
    return this.#forward("completed", (tracker) => tracker.completed(summary));
  }

  /** Forwards {@link Tracker.interrupted}. */
  interrupted(error: unknown, summary?: ExperimentSummary): Promise<void> {
    return this.#forward("interrupted", (tracker) => tracker.interrupted(error, summary));
  }
}
