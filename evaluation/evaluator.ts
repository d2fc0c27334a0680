/**
 * The `Evaluator`: metrics for a list of (case id, prediction, reference) volumes, their
 * per-class summary, and `metrics.json` / `metrics.csv` written atomically.
 *
 * @module
 */

import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";
import type { Volume } from "../data/volume.ts";
import {
  bothEmptyClassMetrics,
  type CaseMetrics,
  computeCaseMetrics,
  type MetricSettings,
  type ResolvedMetricSettings,
  resolveMetricSettings,
} from "./case_metrics.ts";
import { assertSameGrid, DEFAULT_AFFINE_TOLERANCE } from "./grid_match.ts";
import { foregroundLabels, labelMapFromVolume } from "./label_map.ts";
import { type EvaluationReport, reportToCsv, reportToJson, summarizeCases } from "./summary.ts";

/** One case to evaluate: a predicted and a reference label volume on the same grid. */
export interface EvaluationCase {
  /** Identifier written in the results, e.g. the file name without extension. */
  caseId: string;
  /** Predicted label map (one channel). */
  prediction: Volume;
  /** Reference (ground-truth) label map (one channel). */
  reference: Volume;
}

/** Settings of an {@link Evaluator}. */
export interface EvaluatorOptions extends MetricSettings {
  /**
   * Class labels to evaluate. Default: every non-zero label found in any prediction or
   * reference; a case lacking one of them gets the both-empty values for it.
   */
  labels?: readonly number[];
  /** Largest difference allowed between the affines' entries (mm). Default 1e-3. */
  affineTolerance?: number;
  /** Called after each case, e.g. to show progress. */
  onCaseEvaluated?: (metrics: CaseMetrics, casesDone: number) => void;
}

/**
 * Evaluates segmentations against references, per case and per class.
 *
 * @example
 * ```ts
 * import { Evaluator } from "./evaluator.ts";
 * const affine = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
 * const volume = (labels: number[]) => ({
 *   data: Uint8Array.from(labels), dims: [4, 1, 1] as [number, number, number],
 *   channels: 1, affine, meta: {},
 * });
 * const evaluator = new Evaluator({ labels: [1] });
 * const report = await evaluator.evaluate([
 *   { caseId: "case_0", prediction: volume([0, 1, 1, 0]), reference: volume([0, 1, 1, 1]) },
 * ]);
 * report.perClass["1"].mean.dice; // 0.8
 * ```
 */
export class Evaluator {
  /** The metric settings with defaults filled in. */
  readonly settings: ResolvedMetricSettings;
  readonly #labels: readonly number[] | undefined;
  readonly #affineTolerance: number;
  readonly #onCaseEvaluated: EvaluatorOptions["onCaseEvaluated"];

  /** Creates an evaluator; throws a `RangeError` for invalid settings or labels. */
  constructor(options: EvaluatorOptions = {}) {
    this.settings = resolveMetricSettings(options);
    if (options.labels !== undefined) {
      const labels = options.labels;
      if (labels.length === 0 || !labels.every(Number.isFinite)) {
        throw new RangeError(`Labels must be a non-empty list of numbers, got [${labels}]`);
      }
      if (new Set(labels).size !== labels.length) {
        throw new RangeError(`Labels must not repeat, got [${labels}]`);
      }
    }
    this.#labels = options.labels;
    this.#affineTolerance = options.affineTolerance ?? DEFAULT_AFFINE_TOLERANCE;
    this.#onCaseEvaluated = options.onCaseEvaluated;
  }

  /**
   * Metrics of one case. Throws a `GridMismatchError` naming the case when the prediction
   * does not lie on the reference's grid.
   */
  evaluateCase(evaluationCase: EvaluationCase): CaseMetrics {
    const { caseId, prediction, reference } = evaluationCase;
    assertSameGrid(caseId, prediction, reference, this.#affineTolerance);
    const expected = labelMapFromVolume(reference, `Reference of case "${caseId}"`);
    // The grids were just found equal within the affine tolerance: measure both with the
    // reference's spacing so header rounding cannot trip the stricter check downstream.
    const predicted = {
      ...labelMapFromVolume(prediction, `Prediction of case "${caseId}"`),
      spacing: expected.spacing,
    };
    const labels = this.#labels ?? foregroundLabels(predicted.data, expected.data);
    return computeCaseMetrics(caseId, predicted, expected, labels, this.settings);
  }

  /**
   * Evaluates every case (volumes may be produced lazily by an async iterable, so a large
   * folder need not be held in memory) and summarises them.
   */
  async evaluate(
    cases: Iterable<EvaluationCase> | AsyncIterable<EvaluationCase>,
  ): Promise<EvaluationReport> {
    const results: CaseMetrics[] = [];
    const seenIds = new Set<string>();
    for await (const evaluationCase of cases) {
      if (seenIds.has(evaluationCase.caseId)) {
        throw new RangeError(`Case id "${evaluationCase.caseId}" appears twice`);
      }
      seenIds.add(evaluationCase.caseId);
      const metrics = this.evaluateCase(evaluationCase);
      results.push(metrics);
      this.#onCaseEvaluated?.(metrics, results.length);
    }
    const labels = this.#labels ? [...this.#labels].sort((a, b) => a - b) : labelsSeen(results);
    const blank = bothEmptyClassMetrics(this.settings.emptyMasks);
    for (const metrics of results) {
      for (const label of labels) metrics.classes[String(label)] ??= { ...blank };
    }
    return summarizeCases(results, labels, this.settings);
  }

  /**
   * Evaluates the cases and writes `metrics.json` and `metrics.csv` into `directory`
   * (created if missing), each atomically.
   */
  async evaluateToDirectory(
    cases: Iterable<EvaluationCase> | AsyncIterable<EvaluationCase>,
    directory: string,
  ): Promise<EvaluationReport> {
    const report = await this.evaluate(cases);
    await Deno.mkdir(directory, { recursive: true });
    const base = directory.endsWith("/") ? directory : `${directory}/`;
    await writeEvaluationReport(report, `${base}metrics.json`, `${base}metrics.csv`);
    return report;
  }
}

function labelsSeen(results: readonly CaseMetrics[]): number[] {
  const labels = new Set(results.flatMap((metrics) => Object.keys(metrics.classes).map(Number)));
  return [...labels].sort((a, b) => a - b);
}

/** Writes the report as JSON to `jsonPath` and as CSV to `csvPath`, each atomically. */
export async function writeEvaluationReport(
  report: EvaluationReport,
  jsonPath: string,
  csvPath: string,
): Promise<void> {
  await atomicWriteTextFile(jsonPath, reportToJson(report));
  await atomicWriteTextFile(csvPath, reportToCsv(report));
}
