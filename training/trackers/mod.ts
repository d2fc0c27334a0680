/**
 * Experiment tracking: the {@link Tracker} contract, a fan-out that isolates failing
 * trackers, and the default {@link LocalTracker} writing metrics, charts and a report.
 *
 * @module
 */

export type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";
export type { JsonValue } from "../checkpoint.ts";
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
