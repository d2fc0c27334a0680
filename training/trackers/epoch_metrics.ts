/**
 * The numbers and settings of an experiment in the flat `name → value` form that dashboards
 * (MLflow, Weights & Biases) store.
 *
 * @module
 */

import type { JsonValue } from "../checkpoint.ts";
import type { EpochRecord, ExperimentSummary } from "./tracker.ts";

/** A name usable as a metric key everywhere: letters, digits, `_ - . /` and spaces. */
export function metricKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_\-./ ]/g, "_");
}

/**
 * The finite numbers of one epoch by metric name, e.g. `train_loss`, `pseudo_dice/liver`.
 * Missing and non-finite values are left out (JSON cannot carry NaN).
 *
 * @example
 * ```ts
 * import { epochMetrics } from "./epoch_metrics.ts";
 * epochMetrics({ epoch: 0, trainLoss: 0.5, learningRate: 0.01, epochSeconds: 2 }, []);
 * // { train_loss: 0.5, learning_rate: 0.01, epoch_seconds: 2 }
 * ```
 */
export function epochMetrics(
  record: EpochRecord,
  classNames: readonly string[],
): Record<string, number> {
  const values: Record<string, number | undefined> = {
    train_loss: record.trainLoss,
    validation_loss: record.validationLoss,
    mean_pseudo_dice: record.meanPseudoDice,
    ema_pseudo_dice: record.emaPseudoDice,
    learning_rate: record.learningRate,
    epoch_seconds: record.epochSeconds,
    best_score: record.bestScore,
    predicted_final_score: record.predictedFinalScore,
    predicted_convergence_epoch: record.predictedConvergenceEpoch,
  };
  record.pseudoDice?.forEach((dice, c) => {
    values[`pseudo_dice/${metricKey(classNames[c] ?? `class ${c + 1}`)}`] = dice;
  });
  const finite: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && Number.isFinite(value)) finite[name] = value;
  }
  return finite;
}

/** Final metrics of a summary as `final/<metric>/<class>` keys (finite values only). */
export function summaryMetrics(
  summary: ExperimentSummary,
  classNames: readonly string[],
): Record<string, number> {
  const values: Record<string, number> = { epochs_completed: summary.epochsCompleted };
  if (summary.bestScore !== undefined) values.best_score = summary.bestScore;
  if (summary.bestEpoch !== undefined) values.best_epoch = summary.bestEpoch;
  values.duration_seconds = summary.durationSeconds;
  for (const [metric, perClass] of Object.entries(summary.finalMetrics ?? {})) {
    perClass.forEach((value, c) => {
      const name = `final/${metricKey(metric)}/${metricKey(classNames[c] ?? `class ${c + 1}`)}`;
      values[name] = value;
    });
  }
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

/**
 * A nested config flattened to dotted keys with string values (objects below `maxDepth`
 * and arrays are kept as JSON), e.g. `{ optimizer: { lr: 0.01 } }` → `optimizer.lr = "0.01"`.
 */
export function flattenConfig(
  config: { readonly [key: string]: JsonValue },
  maxDepth = 3,
): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const visit = (value: JsonValue, key: string, depth: number): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < maxDepth) {
      for (const [child, inner] of Object.entries(value)) {
        visit(inner, `${key}.${child}`, depth + 1);
      }
    } else {
      entries.push([key, typeof value === "string" ? value : JSON.stringify(value) ?? "null"]);
    }
  };
  for (const [key, value] of Object.entries(config)) visit(value, key, 1);
  return entries;
}

/** `value` cut to at most `limit` characters, ending in a note of how long it was. */
export function truncateWithNote(value: string, limit: number): string {
  if (value.length <= limit) return value;
  const note = `… [truncated from ${value.length} chars]`;
  return value.slice(0, Math.max(0, limit - note.length)) + note;
}
