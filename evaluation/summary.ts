/**
 * Per-class summaries of case metrics, and the evaluation report as JSON and CSV text.
 *
 * Means ignore NaN (the undefined values of `empty_mask_policy.ts`), as nnU-Net's do; each
 * mean comes with the number of cases it averages, so a mean over few cases is visible.
 *
 * @module
 */

import {
  type CaseMetrics,
  CLASS_METRIC_NAMES,
  type ClassMetrics,
  type ResolvedMetricSettings,
} from "./case_metrics.ts";

/** A metric name mapped to a number; the shape of means and of their case counts. */
export type MetricValues = Record<keyof ClassMetrics, number>;

/** Summary of one class over all cases. */
export interface ClassSummary {
  /** Mean of each metric over the cases where it is not NaN (NaN when there are none). */
  mean: MetricValues;
  /** How many cases each mean averages. */
  validCases: MetricValues;
}

/** The full result of evaluating a set of cases. */
export interface EvaluationReport {
  /** The class labels evaluated, ascending. */
  labels: number[];
  /** The settings the metrics were computed with. */
  settings: ResolvedMetricSettings;
  /** Metrics of every case, in evaluation order. */
  cases: CaseMetrics[];
  /** Summary per class label. */
  perClass: Record<string, ClassSummary>;
  /** Mean over the classes of each class mean (NaN class means ignored), as nnU-Net reports. */
  foregroundMean: MetricValues;
}

function nanIgnoringMean(values: readonly number[]): { mean: number; count: number } {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    sum += value;
    count++;
  }
  return { mean: count === 0 ? NaN : sum / count, count };
}

function summarizeValues(rows: readonly MetricValues[]): ClassSummary {
  const mean = {} as MetricValues;
  const validCases = {} as MetricValues;
  for (const name of CLASS_METRIC_NAMES) {
    const summary = nanIgnoringMean(rows.map((row) => row[name]));
    mean[name] = summary.mean;
    validCases[name] = summary.count;
  }
  return { mean, validCases };
}

/**
 * Builds the report: per-class means over the cases and the mean of those over classes.
 * A case lacking a label in its `classes` is skipped for that label.
 *
 * @example
 * ```ts
 * import { summarizeCases } from "./summary.ts";
 * import { computeCaseMetrics, resolveMetricSettings } from "./case_metrics.ts";
 * const grid = { dims: [2, 1, 1] as const, spacing: [1, 1, 1] as const };
 * const label = { ...grid, data: new Uint8Array([1, 0]) };
 * const cases = [computeCaseMetrics("a", label, label, [1])];
 * summarizeCases(cases, [1], resolveMetricSettings()).perClass["1"].mean.dice; // 1
 * ```
 */
export function summarizeCases(
  cases: readonly CaseMetrics[],
  labels: readonly number[],
  settings: ResolvedMetricSettings,
): EvaluationReport {
  const perClass: Record<string, ClassSummary> = {};
  for (const label of labels) {
    const key = String(label);
    const rows = cases.flatMap((entry) => entry.classes[key] ? [entry.classes[key]] : []);
    perClass[key] = summarizeValues(rows);
  }
  const classMeans = Object.values(perClass).map((summary) => summary.mean);
  return {
    labels: [...labels],
    settings,
    cases: [...cases],
    perClass,
    foregroundMean: summarizeValues(classMeans).mean,
  };
}

/**
 * The report as pretty-printed JSON. JSON has no NaN, so undefined values are written as
 * `null` (Python's `json` and pandas read them back as None/NaN).
 */
export function reportToJson(report: EvaluationReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvNumber(value: number): string {
  return Number.isNaN(value) ? "NaN" : String(value);
}

/**
 * The report as CSV text in long form: one row per case and class, then one `mean` row per
 * class and a `mean`/`all` row for the mean over classes. Columns: `case`, `label`, then the
 * metrics in the order of `CLASS_METRIC_NAMES`. Undefined values are written `NaN`, which
 * spreadsheets and pandas read as missing.
 */
export function reportToCsv(report: EvaluationReport): string {
  const lines = [["case", "label", ...CLASS_METRIC_NAMES].join(",")];
  const row = (caseId: string, label: string, values: MetricValues): string =>
    [csvField(caseId), csvField(label), ...CLASS_METRIC_NAMES.map((n) => csvNumber(values[n]))]
      .join(",");
  for (const entry of report.cases) {
    for (const label of report.labels) {
      const values = entry.classes[String(label)];
      if (values) lines.push(row(entry.caseId, String(label), values));
    }
  }
  for (const label of report.labels) {
    lines.push(row("mean", String(label), report.perClass[String(label)].mean));
  }
  lines.push(row("mean", "all", report.foregroundMean));
  return lines.join("\n") + "\n";
}
