/**
 * Experiment tracking: the {@link Tracker} contract, a fan-out that isolates failing
 * trackers, and the default {@link LocalTracker} writing metrics, charts and a report.
 *
 * @module
 */

export type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";
export type { JsonValue } from "../checkpoint.ts";
export {
  type ConfiguredTrackers,
  configuredTrackers,
  type ConfiguredTrackersOptions,
} from "./configured_trackers.ts";
export { FanOutTracker, type FanOutTrackerOptions } from "./fan_out_tracker.ts";
export { LocalTracker, type LocalTrackerOptions, TrackerStateError } from "./local_tracker.ts";
export {
  classNamesFromHeader,
  defaultClassNames,
  formatMetricsRow,
  MetricsCsvError,
  metricsCsvHeader,
  type ParsedMetricsCsv,
  parseMetricsCsv,
} from "./metrics_csv.ts";
export {
  DEFAULT_RETRY_POLICY,
  DeliveryGuard,
  type DroppedEvent,
  type HttpReply,
  type HttpRequest,
  HttpRequestError,
  type HttpTransportOptions,
  maskSecrets,
  RetryingHttpClient,
  type RetryPolicy,
} from "./http_retry.ts";
export {
  type MlflowSettings,
  mlflowSettings,
  type NotionSettings,
  notionSettings,
  readTrackerEnvironment,
  TrackerConfigError,
  type TrackerConfigSources,
  type TrackerEnvironment,
  type WandbSettings,
  wandbSettings,
} from "./tracker_config.ts";
export { epochMetrics, flattenConfig, summaryMetrics, truncateWithNote } from "./epoch_metrics.ts";
export { MlflowTracker, type MlflowTrackerOptions } from "./mlflow_tracker.ts";
export { WandbTracker, type WandbTrackerOptions } from "./wandb_tracker.ts";
export {
  DEFAULT_NOTION_PROPERTY_NAMES,
  type NotionPropertyNames,
  NotionTracker,
  type NotionTrackerOptions,
} from "./notion_tracker.ts";
