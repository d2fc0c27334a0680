/**
 * The experiment-tracking contract: a trainer reports an experiment's start, every epoch, and
 * its end (completed or interrupted) to a {@link Tracker}; trackers turn that into files,
 * dashboards or messages. The local tracker writes files; MLflow, W&B or Notion trackers
 * implement the same four methods.
 *
 * @module
 */

import type { JsonValue } from "../checkpoint.ts";

/** What an experiment is, reported once when it starts (or resumes). */
export interface ExperimentInfo {
  /** Unique id, also the folder name of the local tracker by convention. */
  experimentId: string;
  /** Human-readable name. */
  name: string;
  /** Class name of the trainer, e.g. "UNetTrainer". */
  trainerName: string;
  /** Name of the network, e.g. "UNet3d". */
  modelName: string;
  /** Name of the bundle the trainer and model come from, when any. */
  bundleName?: string;
  /** Every setting of the run, as JSON (written to config.json). */
  config: { [key: string]: JsonValue };
  /** Cross-validation fold, or undefined when training on all cases. */
  fold?: number;
  /** When training (first) started, ISO 8601. */
  startedAt: string;
  /** Names of the foreground classes, in the order of the per-class metrics. */
  classNames?: string[];
}

/**
 * The numbers of one finished epoch. Validation fields are undefined for epochs that ran no
 * validation.
 */
export interface EpochRecord {
  /** Epoch index, counted from 0. */
  epoch: number;
  /** Mean training loss over the epoch. */
  trainLoss: number;
  /** Mean validation loss. */
  validationLoss?: number;
  /** Pseudo-Dice per foreground class on the validation patches (pooled over the epoch). */
  pseudoDice?: number[];
  /** Mean of `pseudoDice` over the classes. */
  meanPseudoDice?: number;
  /** Exponential moving average of the mean pseudo-Dice: the score that picks the best epoch. */
  emaPseudoDice?: number;
  /** Learning rate used during the epoch. */
  learningRate: number;
  /** Wall-clock duration of the epoch, seconds. */
  epochSeconds: number;
  /** Best EMA pseudo-Dice reached up to and including this epoch. */
  bestScore?: number;
  /** Epoch at which `bestScore` was reached. */
  bestEpoch?: number;
  /** Score the validation curve is predicted to converge to, when a prediction was made. */
  predictedFinalScore?: number;
  /** Epoch (counted from 0) at which the curve is predicted to come within tolerance of it. */
  predictedConvergenceEpoch?: number;
}

/** How an experiment ended, reported once at the end. */
export interface ExperimentSummary {
  /** Number of epochs trained in total (across restarts). */
  epochsCompleted: number;
  /** Epoch with the best score, when any validation ran. */
  bestEpoch?: number;
  /** The best score (EMA pseudo-Dice unless the trainer says otherwise). */
  bestScore?: number;
  /**
   * Final evaluation per metric and class, e.g. `{ dice: [0.91, 0.84], hd95: [3.1, 5.7] }`,
   * classes in the order of {@link ExperimentInfo.classNames}.
   */
  finalMetrics?: { [metric: string]: number[] };
  /** Total training time, seconds. */
  durationSeconds: number;
  /** When training ended, ISO 8601. */
  finishedAt: string;
}

/**
 * Receives an experiment's progress. Methods may do I/O; a trainer awaits each call, and a
 * {@link FanOutTracker} keeps one failing tracker from affecting the others or the training.
 *
 * @example
 * ```ts
 * import type { EpochRecord, Tracker } from "./tracker.ts";
 * const printer: Tracker = {
 *   experimentCreated: async (info) => console.log("start", info.name),
 *   epochEnded: async (record: EpochRecord) => console.log(record.epoch, record.trainLoss),
 *   completed: async (summary) => console.log("best", summary.bestScore),
 *   interrupted: async (error) => console.error("stopped", error),
 * };
 * ```
 */
export interface Tracker {
  /** The experiment started or resumed; called before the first `epochEnded`. */
  experimentCreated(info: ExperimentInfo): Promise<void>;
  /** An epoch finished. On resume, epochs may restart below the last one reported. */
  epochEnded(record: EpochRecord): Promise<void>;
  /** Training finished normally. */
  completed(summary: ExperimentSummary): Promise<void>;
  /** Training stopped by an error or a signal; `summary` covers the epochs done so far. */
  interrupted(error: unknown, summary?: ExperimentSummary): Promise<void>;
}
