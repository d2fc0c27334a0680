/**
 * The default tracker: everything about an experiment as plain files in its folder.
 *
 * - `config.json`: the {@link ExperimentInfo} (its `config` holds the run's settings);
 * - `metrics.csv`: one row per epoch (see metrics_csv.ts), continued on resume;
 * - `progress.svg`, `progress.png`: losses, pseudo-Dice and learning rate over the epochs;
 * - `report.html`: one self-contained page with all of the above;
 * - `summary.json`: the {@link ExperimentSummary}, once training has ended.
 *
 * Every file is replaced atomically, so a crash mid-write never leaves a torn file.
 *
 * @module
 */

import { atomicWriteFile, atomicWriteTextFile } from "../../core/serialize/atomic_write.ts";
import { DICE_CURVE_PREDICTION, predictValidationCurve } from "../validation_curve.ts";
import { renderChartPng } from "../report/chart_raster.ts";
import { renderChartSvg } from "../report/chart_svg.ts";
import {
  type ExperimentStatus,
  renderHtmlReport,
  type ReportPrediction,
} from "../report/html_report.ts";
import { layoutLineChart } from "../report/line_chart.ts";
import { trainingChartSpec } from "../report/training_chart.ts";
import {
  classNamesFromHeader,
  defaultClassNames,
  formatMetricsRow,
  metricsCsvHeader,
  parseMetricsCsv,
} from "./metrics_csv.ts";
import type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";

/** Thrown when events arrive in an order the tracker cannot follow. */
export class TrackerStateError extends Error {
  /** Creates the error with a message saying what to do. */
  constructor(message: string) {
    super(message);
    this.name = "TrackerStateError";
  }
}

/** Settings of {@link LocalTracker}. */
export interface LocalTrackerOptions {
  /** Raster pixels per chart pixel in progress.png; default 2. */
  pngScale?: number;
  /** Write progress.png at all; default true. */
  writePng?: boolean;
  /**
   * Predict the final score from the mean pseudo-Dice curve when the records carry no
   * prediction of their own; default true. (The raw curve, not its moving average: the
   * average lags, and its shape is not the rational curve the fit assumes.)
   */
  predict?: boolean;
  /** Fewest validated epochs before predicting; default 10. */
  minEpochsForPrediction?: number;
  /** The clock stamped into the report; default the system clock. */
  now?: () => Date;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Writes an experiment's config, metrics, charts and report into `folder`.
 *
 * @example
 * ```ts
 * import { LocalTracker } from "./local_tracker.ts";
 * const tracker = new LocalTracker(await Deno.makeTempDir(), { writePng: false });
 * await tracker.experimentCreated({
 *   experimentId: "demo", name: "demo", trainerName: "Trainer", modelName: "UNet",
 *   config: { epochs: 2 }, startedAt: new Date().toISOString(),
 * });
 * await tracker.epochEnded({ epoch: 0, trainLoss: 0.8, learningRate: 0.01, epochSeconds: 1 });
 * ```
 */
export class LocalTracker implements Tracker {
  /** The experiment folder. */
  readonly folder: string;
  readonly #options: Required<Omit<LocalTrackerOptions, "now">> & { now: () => Date };
  #info: ExperimentInfo | undefined;
  #records: EpochRecord[] = [];
  #resumedClassNames: string[] | undefined;

  /** Tracks into `folder` (created when missing). */
  constructor(folder: string, options: LocalTrackerOptions = {}) {
    this.folder = folder.replace(/\/+$/, "") || "/";
    this.#options = {
      pngScale: options.pngScale ?? 2,
      writePng: options.writePng ?? true,
      predict: options.predict ?? true,
      minEpochsForPrediction: options.minEpochsForPrediction ?? 10,
      now: options.now ?? (() => new Date()),
    };
  }

  /** The epochs recorded so far, including those read back from an earlier run. */
  get records(): readonly EpochRecord[] {
    return this.#records;
  }

  #path(name: string): string {
    return `${this.folder}/${name}`;
  }

  /** Writes config.json, reads back metrics.csv when resuming, and writes a first report. */
  async experimentCreated(info: ExperimentInfo): Promise<void> {
    await Deno.mkdir(this.folder, { recursive: true });
    this.#info = info;
    this.#records = [];
    this.#resumedClassNames = undefined;
    try {
      const parsed = parseMetricsCsv(await Deno.readTextFile(this.#path("metrics.csv")));
      this.#records = parsed.records;
      if (parsed.header.length > 0) this.#resumedClassNames = classNamesFromHeader(parsed.header);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await atomicWriteTextFile(this.#path("config.json"), JSON.stringify(info, null, 2) + "\n");
    await this.#writeReport("running");
  }

  /**
   * Adds the epoch to metrics.csv and redraws the charts and the report. An epoch at or below
   * one already recorded (training resumed from an earlier checkpoint) replaces it and drops
   * the rows after it, so the file never holds an epoch twice.
   */
  async epochEnded(record: EpochRecord): Promise<void> {
    if (this.#info === undefined) {
      throw new TrackerStateError("epochEnded came before experimentCreated; call that first");
    }
    this.#records = this.#records.filter((earlier) => earlier.epoch < record.epoch);
    this.#records.push(structuredClone(record));
    await atomicWriteTextFile(this.#path("metrics.csv"), this.#metricsCsv());
    await this.#writeReport("running");
  }

  /** Writes summary.json and the final report. */
  async completed(summary: ExperimentSummary): Promise<void> {
    if (this.#info === undefined) {
      throw new TrackerStateError("completed came before experimentCreated; call that first");
    }
    await atomicWriteTextFile(
      this.#path("summary.json"),
      JSON.stringify({ status: "completed", ...summary }, null, 2) + "\n",
    );
    await this.#writeReport("completed", summary);
  }

  /** Writes summary.json (when given) and a report saying why training stopped. */
  async interrupted(error: unknown, summary?: ExperimentSummary): Promise<void> {
    // Nothing to write into before the experiment exists.
    if (this.#info === undefined) return;
    if (summary !== undefined) {
      await atomicWriteTextFile(
        this.#path("summary.json"),
        JSON.stringify({ status: "interrupted", reason: describe(error), ...summary }, null, 2) +
          "\n",
      );
    }
    await this.#writeReport("interrupted", summary, describe(error));
  }

  #classNames(): string[] {
    const count = Math.max(0, ...this.#records.map((record) => record.pseudoDice?.length ?? 0));
    return this.#info?.classNames ?? this.#resumedClassNames ??
      defaultClassNames(count);
  }

  #metricsCsv(): string {
    const classNames = this.#classNames();
    const rows = this.#records.map((record) => formatMetricsRow(record, classNames.length));
    return [metricsCsvHeader(classNames).join(","), ...rows].join("\n") + "\n";
  }

  /** The trainer's prediction when the last record has one, else a fit of the Dice curve. */
  #prediction(): ReportPrediction | undefined {
    const last = this.#records.at(-1);
    if (last?.predictedFinalScore !== undefined) {
      return {
        finalScore: last.predictedFinalScore,
        convergenceEpoch: last.predictedConvergenceEpoch,
      };
    }
    if (!this.#options.predict) return undefined;
    const validated = this.#records.filter((record) =>
      record.meanPseudoDice !== undefined && Number.isFinite(record.meanPseudoDice)
    );
    if (validated.length < this.#options.minEpochsForPrediction) return undefined;
    const prediction = predictValidationCurve(
      validated.map((record) => record.epoch),
      validated.map((record) => record.meanPseudoDice!),
      // Enough epochs were checked above; the fit itself refuses too few points.
      { ...DICE_CURVE_PREDICTION, minEpochs: 0 },
    );
    if (!prediction) return undefined;
    return { finalScore: prediction.finalScore, convergenceEpoch: prediction.convergenceEpoch };
  }

  async #writeReport(
    status: ExperimentStatus,
    summary?: ExperimentSummary,
    interruption?: string,
  ): Promise<void> {
    const info = this.#info!;
    const prediction = this.#prediction();
    const drawing = layoutLineChart(
      trainingChartSpec(this.#records, { predictedFinalScore: prediction?.finalScore }),
    );
    const svg = renderChartSvg(drawing);
    await atomicWriteTextFile(this.#path("progress.svg"), svg);
    if (this.#options.writePng) {
      await atomicWriteFile(
        this.#path("progress.png"),
        renderChartPng(drawing, this.#options.pngScale),
      );
    }
    const html = renderHtmlReport({
      info,
      records: this.#records,
      status,
      summary,
      interruption,
      prediction,
      chartSvg: svg,
      updatedAt: this.#options.now().toISOString(),
    });
    await atomicWriteTextFile(this.#path("report.html"), html);
  }
}
