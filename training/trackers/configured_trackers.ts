/**
 * The trackers a training run reports to: always the local one (files beside the
 * checkpoints), plus MLflow, Weights & Biases and Notion when their settings are present in
 * the environment or the tracker config file (see `tracker_config.ts`). Several trackers are
 * combined by a {@link FanOutTracker}, so a failing remote never stops training.
 *
 * @module
 */

import { FanOutTracker } from "./fan_out_tracker.ts";
import { LocalTracker } from "./local_tracker.ts";
import { MlflowTracker } from "./mlflow_tracker.ts";
import { NotionTracker } from "./notion_tracker.ts";
import type { Tracker } from "./tracker.ts";
import {
  mlflowSettings,
  notionSettings,
  readTrackerEnvironment,
  type TrackerConfigSources,
  type TrackerEnvironment,
  wandbSettings,
} from "./tracker_config.ts";
import { WandbTracker } from "./wandb_tracker.ts";

/** Settings of {@link configuredTrackers}. */
export interface ConfiguredTrackersOptions {
  /** Add remote trackers whose settings are found (default true). */
  remote?: boolean;
  /** Settings to use instead of reading the environment and the config file. */
  environment?: TrackerEnvironment;
  /** Where the environment and config file are read from (tests). */
  sources?: TrackerConfigSources;
  /** Extra trackers to report to as well. */
  extra?: readonly Tracker[];
  /** Where tracker warnings go; default `console.warn`. */
  log?: (message: string) => void;
}

/** The configured trackers and their names, for a start-of-run message. */
export interface ConfiguredTrackers {
  /** One tracker forwarding to all of them (the local tracker alone when it is the only one). */
  tracker: Tracker;
  /** Names of the trackers in use, local first. */
  names: string[];
}

/**
 * Builds the trackers for an experiment folder. Incomplete remote settings throw the
 * config's `TrackerConfigError` before training starts, naming what is missing.
 */
export async function configuredTrackers(
  experimentDir: string,
  options: ConfiguredTrackersOptions = {},
): Promise<ConfiguredTrackers> {
  const log = options.log ?? ((message: string) => console.warn(message));
  const trackers: Tracker[] = [new LocalTracker(experimentDir)];
  const names = ["local"];
  if (options.remote ?? true) {
    const env = options.environment ??
      await readTrackerEnvironment({ log, ...options.sources });
    const mlflow = mlflowSettings(env);
    if (mlflow) {
      trackers.push(new MlflowTracker(mlflow, { log }));
      names.push("mlflow");
    }
    const wandb = wandbSettings(env);
    if (wandb) {
      trackers.push(new WandbTracker(wandb, { log }));
      names.push("wandb");
    }
    const notion = notionSettings(env);
    if (notion) {
      trackers.push(new NotionTracker(notion, { log }));
      names.push("notion");
    }
  }
  for (const extra of options.extra ?? []) {
    trackers.push(extra);
    names.push(extra.constructor?.name || "tracker");
  }
  const tracker = trackers.length === 1 ? trackers[0] : new FanOutTracker(trackers, { log });
  return { tracker, names };
}
