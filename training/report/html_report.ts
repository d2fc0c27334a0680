/**
 * The one-page experiment report: facts, best and latest metrics, the predicted final score,
 * the progress chart (inline SVG), per-class Dice and the configuration. Self-contained: no
 * scripts, styles or pictures from elsewhere, so it can be mailed or archived as one file.
 *
 * @module
 */

import type { EpochRecord, ExperimentInfo, ExperimentSummary } from "../trackers/tracker.ts";
import { escapeXml } from "./chart_svg.ts";

/** Where training stands. */
export type ExperimentStatus = "running" | "completed" | "interrupted";

/** A predicted final score and when the curve gets there. */
export interface ReportPrediction {
  /** The score the validation curve converges to. */
  finalScore: number;
  /** Epoch (counted from 0, like {@link EpochRecord.epoch}) where it gets there, when known. */
  convergenceEpoch?: number;
}

/** Everything {@link renderHtmlReport} shows. */
export interface HtmlReportInput {
  /** The experiment. */
  info: ExperimentInfo;
  /** Every epoch so far, in order. */
  records: readonly EpochRecord[];
  /** Running, completed or interrupted. */
  status: ExperimentStatus;
  /** The end-of-training summary, once there is one. */
  summary?: ExperimentSummary;
  /** Why training stopped, for an interrupted run. */
  interruption?: string;
  /** Predicted final score, when a prediction could be made. */
  prediction?: ReportPrediction;
  /** The progress chart as SVG, inlined. */
  chartSvg: string;
  /** When the page was written, ISO 8601. */
  updatedAt: string;
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; color: #111827; background: #f3f4f6;
  margin: 0; padding: 24px; }
main { max-width: 880px; margin: 0 auto; background: #fff; padding: 24px 32px;
  border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.1); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.status { display: inline-block; padding: 2px 10px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #fff; vertical-align: middle; margin-left: 8px; }
.running { background: #2563eb; } .completed { background: #15803d; }
.interrupted { background: #b91c1c; }
.muted { color: #6b7280; font-size: 13px; }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 4px 12px 4px 0; text-align: left; border-bottom: 1px solid #e5e7eb; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f9fafb; border: 1px solid #e5e7eb; padding: 12px; font-size: 12px;
  overflow-x: auto; }
svg { max-width: 100%; height: auto; }
.error { color: #b91c1c; }
`;

function formatNumber(value: number | undefined, digits = 4): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e6)) {
    return value.toExponential(2);
  }
  return value.toFixed(digits);
}

/** Seconds as "1 h 02 min", "3 min 20 s" or "12.3 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, "0")} min`;
  return `${minutes} min ${String(whole % 60).padStart(2, "0")} s`;
}

function table(header: string[], rows: string[][], numericFrom = 1): string {
  const cell = (tag: string, text: string, index: number) =>
    `<${tag}${index >= numericFrom ? ' class="number"' : ""}>${text}</${tag}>`;
  return `<table>\n<tr>${header.map((text, index) => cell("th", text, index)).join("")}</tr>\n` +
    rows.map((row) => `<tr>${row.map((text, index) => cell("td", text, index)).join("")}</tr>`)
      .join("\n") +
    "\n</table>";
}

/** Key-value rows (keys escaped here, values already HTML). */
function facts(rows: Array<[string, string]>): string {
  return "<table>\n" +
    rows.map(([key, value]) => `<tr><th>${escapeXml(key)}</th><td>${value}</td></tr>`).join("\n") +
    "\n</table>";
}

function classNamesOf(input: HtmlReportInput): string[] {
  const count = Math.max(
    input.info.classNames?.length ?? 0,
    ...input.records.map((record) => record.pseudoDice?.length ?? 0),
    ...Object.values(input.summary?.finalMetrics ?? {}).map((values) => values.length),
  );
  return Array.from(
    { length: count },
    (_, index) => input.info.classNames?.[index] ?? `class ${index + 1}`,
  );
}

/**
 * The report page as HTML text. While running, the page reloads itself every minute.
 *
 * @example
 * ```ts
 * import { renderHtmlReport } from "./html_report.ts";
 * const html = renderHtmlReport({
 *   info: {
 *     experimentId: "run-1", name: "demo", trainerName: "Trainer", modelName: "UNet",
 *     config: {}, startedAt: new Date().toISOString(),
 *   },
 *   records: [], status: "running", chartSvg: "<svg/>", updatedAt: new Date().toISOString(),
 * });
 * ```
 */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { info, records, summary } = input;
  const last = records.at(-1);
  const bestRecord = [...records].reverse().find((record) => record.bestEpoch !== undefined);
  const bestEpoch = summary?.bestEpoch ?? bestRecord?.bestEpoch;
  const bestScore = summary?.bestScore ?? bestRecord?.bestScore;
  const atBest = records.find((record) => record.epoch === bestEpoch);
  const elapsed = summary?.durationSeconds ??
    records.reduce((sum, record) => sum + record.epochSeconds, 0);
  const title = escapeXml(info.name);

  const factRows: Array<[string, string]> = [
    ["Experiment", escapeXml(info.experimentId)],
    ["Trainer", escapeXml(info.trainerName)],
    ["Model", escapeXml(info.modelName)],
    ...(info.bundleName ? [["Bundle", escapeXml(info.bundleName)] as [string, string]] : []),
    ["Fold", info.fold === undefined ? "all" : String(info.fold)],
    ["Started", escapeXml(info.startedAt)],
    ...(summary ? [["Finished", escapeXml(summary.finishedAt)] as [string, string]] : []),
    ["Epochs", String(summary?.epochsCompleted ?? records.length)],
    ["Training time", formatDuration(elapsed)],
  ];

  const metricRows: string[][] = [
    ["Train loss", formatNumber(atBest?.trainLoss), formatNumber(last?.trainLoss)],
    ["Validation loss", formatNumber(atBest?.validationLoss), formatNumber(last?.validationLoss)],
    ["Mean pseudo-Dice", formatNumber(atBest?.meanPseudoDice), formatNumber(last?.meanPseudoDice)],
    ["EMA pseudo-Dice", formatNumber(atBest?.emaPseudoDice), formatNumber(last?.emaPseudoDice)],
    ["Learning rate", formatNumber(atBest?.learningRate), formatNumber(last?.learningRate)],
  ];
  const bestHeading = bestEpoch === undefined ? "Best" : `Best (epoch ${bestEpoch + 1})`;
  const lastHeading = last === undefined ? "Latest" : `Latest (epoch ${last.epoch + 1})`;

  const classNames = classNamesOf(input);
  const finalMetrics = Object.entries(summary?.finalMetrics ?? {});
  const classRows = classNames.map((name, index) => [
    escapeXml(name),
    formatNumber(atBest?.pseudoDice?.[index]),
    formatNumber(last?.pseudoDice?.[index]),
    ...finalMetrics.map(([, values]) => formatNumber(values[index])),
  ]);
  const classHeader = [
    "Class",
    "Pseudo-Dice at best",
    "Pseudo-Dice latest",
    ...finalMetrics.map(([metric]) => `Final ${escapeXml(metric)}`),
  ];

  const prediction = input.prediction
    ? `<p>Predicted final score: <strong>${formatNumber(input.prediction.finalScore)}</strong>` +
      (input.prediction.convergenceEpoch === undefined
        ? ""
        : `, reached around epoch <strong>${input.prediction.convergenceEpoch + 1}</strong>`) +
      ` <span class="muted">(rational fit of the validation curve)</span></p>`
    : `<p class="muted">No prediction of the final score yet.</p>`;

  const interruption = input.interruption
    ? `<p class="error">Stopped: ${escapeXml(input.interruption)}</p>`
    : "";
  const refresh = input.status === "running" ? `<meta http-equiv="refresh" content="60">\n` : "";

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${refresh}<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${title}<span class="status ${input.status}">${input.status}</span></h1>
<p class="muted">Updated ${escapeXml(input.updatedAt)}</p>
${interruption}
<h2>Experiment</h2>
${facts(factRows)}
<h2>Metrics</h2>
<p>Best score: <strong>${formatNumber(bestScore)}</strong>${
    bestEpoch === undefined ? "" : ` at epoch ${bestEpoch + 1}`
  }</p>
${prediction}
${table(["Metric", bestHeading, lastHeading], metricRows)}
<h2>Progress</h2>
${input.chartSvg}
<h2>Per class</h2>
${classRows.length > 0 ? table(classHeader, classRows) : '<p class="muted">No validation yet.</p>'}
<h2>Configuration</h2>
<pre>${escapeXml(JSON.stringify(info.config, null, 2))}</pre>
</main>
</body>
</html>
`;
}
