/**
 * A {@link Tracker} that records experiments in an MLflow tracking server through its REST
 * API (`/api/2.0/mlflow/...`): one run per experiment (per start or resume), the config as
 * params, every epoch's numbers as a batch of metrics (step = epoch), the outcome as the run's
 * status, and the HTML report and progress chart as artifacts when the server proxies them.
 *
 * @module
 */

import { renderChartPng } from "../report/chart_raster.ts";
import { renderChartSvg } from "../report/chart_svg.ts";
import { type ExperimentStatus, renderHtmlReport } from "../report/html_report.ts";
import { layoutLineChart } from "../report/line_chart.ts";
import { trainingChartSpec } from "../report/training_chart.ts";
import { epochMetrics, flattenConfig, summaryMetrics, truncateWithNote } from "./epoch_metrics.ts";
import {
  DeliveryGuard,
  describeError,
  type DroppedEvent,
  HttpRequestError,
  type HttpTransportOptions,
  RetryingHttpClient,
} from "./http_retry.ts";
import type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";
import type { MlflowSettings } from "./tracker_config.ts";

/** Settings of {@link MlflowTracker}. */
export interface MlflowTrackerOptions extends HttpTransportOptions {
  /** Experiment grouping the runs; default the settings' one, else "mipcandy". */
  experimentName?: string;
  /** Upload report.html and progress.svg/png at the end; default true. */
  uploadArtifacts?: boolean;
  /** Include progress.png among the artifacts; default true. */
  artifactPng?: boolean;
  /** Where notes and failures go; default `console.warn`. */
  log?: (message: string) => void;
}

/** MLflow's limit on a param value (older servers; newer ones allow more). */
export const MLFLOW_PARAM_VALUE_LIMIT = 500;
const PARAM_KEY_LIMIT = 250;
const TAG_VALUE_LIMIT = 5000;
const PARAMS_PER_BATCH = 100;
const METRICS_PER_BATCH = 1000;

interface KeyValue {
  key: string;
  value: string;
}

interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The `Authorization` header for `settings`, if any: Bearer token, else Basic. */
export function mlflowAuthorization(settings: MlflowSettings): string | undefined {
  if (settings.token) return `Bearer ${settings.token}`;
  if (settings.username !== undefined) {
    return `Basic ${base64Utf8(`${settings.username}:${settings.password ?? ""}`)}`;
  }
  return undefined;
}

/**
 * The path under `/api/2.0/mlflow-artifacts/artifacts/` of a run whose artifact URI is
 * proxied by the server (`mlflow-artifacts:/…` or `mlflow-artifacts://host/…`), else
 * undefined (the artifacts live in a store the client would have to reach itself).
 */
export function proxiedArtifactPath(artifactUri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  return match ? match[1].replace(/\/+$/, "") : undefined;
}

function isSignal(error: unknown): boolean {
  const text = describeError(error);
  return /\bSIG[A-Z]+\b|AbortError|interrupted by (the )?user/i.test(text);
}

/**
 * Records experiments in MLflow. It never throws: failed deliveries are retried (see
 * {@link RetryingHttpClient}), then dropped and listed when the experiment ends; training
 * goes on whatever the server does.
 *
 * Endpoints: `GET experiments/get-by-name`, `POST experiments/create`, `POST runs/create`,
 * `POST runs/log-batch` (params, tags, metrics), `POST runs/update`, and
 * `PUT /api/2.0/mlflow-artifacts/artifacts/<path>` for artifacts.
 *
 * @example
 * ```ts
 * import { MlflowTracker } from "./mlflow_tracker.ts";
 * import { mlflowSettings, readTrackerEnvironment } from "./tracker_config.ts";
 * const settings = mlflowSettings(await readTrackerEnvironment());
 * const tracker = settings ? new MlflowTracker(settings) : undefined;
 * ```
 */
export class MlflowTracker implements Tracker {
  readonly #settings: MlflowSettings;
  readonly #options: MlflowTrackerOptions;
  readonly #http: RetryingHttpClient;
  readonly #guard: DeliveryGuard;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  #info: ExperimentInfo | undefined;
  #records: EpochRecord[] = [];
  #experimentId: string | undefined;
  #runId: string | undefined;
  #artifactUri: string | undefined;

  /** Tracks into the server of `settings`. */
  constructor(settings: MlflowSettings, options: MlflowTrackerOptions = {}) {
    this.#settings = settings;
    this.#options = options;
    const authorization = mlflowAuthorization(settings);
    const secrets = [settings.token, settings.password, authorization?.split(" ")[1]]
      .filter((secret): secret is string => secret !== undefined && secret !== "");
    this.#http = new RetryingHttpClient(secrets, options);
    this.#log = options.log ?? ((message) => console.warn(message));
    this.#guard = new DeliveryGuard("MLflow", (text) => this.#http.mask(text), this.#log);
    this.#now = options.now ?? Date.now;
  }

  /** Id of the current run, once created. */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** Events that could not be delivered. */
  get dropped(): readonly DroppedEvent[] {
    return this.#guard.dropped;
  }

  #headers(contentType = "application/json"): Record<string, string> {
    const headers: Record<string, string> = { "Content-Type": contentType };
    const authorization = mlflowAuthorization(this.#settings);
    if (authorization !== undefined) headers.Authorization = authorization;
    return headers;
  }

  async #call(method: "GET" | "POST", endpoint: string, body?: unknown): Promise<unknown> {
    const url = `${this.#settings.trackingUri}/api/2.0/mlflow/${endpoint}`;
    const reply = await this.#http.sendOk({
      method,
      url,
      headers: this.#headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return reply.body ? JSON.parse(reply.body) : {};
  }

  async #experiment(name: string): Promise<string> {
    try {
      const found = await this.#call(
        "GET",
        `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
      ) as { experiment: { experiment_id: string } };
      return found.experiment.experiment_id;
    } catch (error) {
      if (!(error instanceof HttpRequestError && error.status === 404)) throw error;
    }
    try {
      const created = await this.#call("POST", "experiments/create", { name }) as {
        experiment_id: string;
      };
      return created.experiment_id;
    } catch (error) {
      // Another process created it in between (RESOURCE_ALREADY_EXISTS).
      if (!(error instanceof HttpRequestError && error.status === 400)) throw error;
      const found = await this.#call(
        "GET",
        `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
      ) as { experiment: { experiment_id: string } };
      return found.experiment.experiment_id;
    }
  }

  #runTags(info: ExperimentInfo): KeyValue[] {
    const tags: Record<string, string | undefined> = {
      "mlflow.runName": info.name,
      "mlflow.source.name": "mipcandy",
      "mipcandy.experiment_id": info.experimentId,
      "mipcandy.trainer": info.trainerName,
      "mipcandy.model": info.modelName,
      "mipcandy.bundle": info.bundleName,
      "mipcandy.fold": info.fold === undefined ? undefined : String(info.fold),
      "mipcandy.class_names": info.classNames?.join(", "),
    };
    return Object.entries(tags)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => ({ key, value: truncateWithNote(value, TAG_VALUE_LIMIT) }));
  }

  async #createRun(): Promise<void> {
    const info = this.#info!;
    const name = this.#options.experimentName ?? this.#settings.experimentName ?? "mipcandy";
    this.#experimentId ??= await this.#experiment(name);
    const created = await this.#call("POST", "runs/create", {
      experiment_id: this.#experimentId,
      run_name: info.name,
      start_time: Date.parse(info.startedAt) || this.#now(),
      tags: this.#runTags(info),
    }) as { run: { info: { run_id: string; artifact_uri?: string } } };
    this.#runId = created.run.info.run_id;
    this.#artifactUri = created.run.info.artifact_uri;
  }

  /** Creates the run when it does not exist yet (creation failed earlier); true if it exists. */
  async #ensureRun(): Promise<boolean> {
    if (this.#runId !== undefined) return true;
    if (this.#info === undefined) return false;
    const created = await this.#guard.run("run creation", () => this.#createRun());
    if (created) await this.#guard.run("params", () => this.#logParams());
    return created;
  }

  async #logBatch(batch: { params?: KeyValue[]; tags?: KeyValue[]; metrics?: MlflowMetric[] }) {
    await this.#call("POST", "runs/log-batch", {
      run_id: this.#runId,
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  async #logParams(): Promise<void> {
    const params = flattenConfig(this.#info!.config).map(([key, value]) => ({
      key: key.slice(0, PARAM_KEY_LIMIT),
      value: truncateWithNote(value, MLFLOW_PARAM_VALUE_LIMIT),
    }));
    for (let start = 0; start < params.length; start += PARAMS_PER_BATCH) {
      await this.#logBatch({ params: params.slice(start, start + PARAMS_PER_BATCH) });
    }
  }

  async #logMetrics(values: Record<string, number>, step: number): Promise<void> {
    const timestamp = this.#now();
    const metrics = Object.entries(values).map(([key, value]) => ({ key, value, timestamp, step }));
    for (let start = 0; start < metrics.length; start += METRICS_PER_BATCH) {
      await this.#logBatch({ metrics: metrics.slice(start, start + METRICS_PER_BATCH) });
    }
  }

  /** Creates (or finds) the experiment, starts a run and logs the config as params. */
  async experimentCreated(info: ExperimentInfo): Promise<void> {
    this.#info = structuredClone(info);
    this.#records = [];
    this.#runId = undefined;
    this.#artifactUri = undefined;
    await this.#ensureRun();
  }

  /** Logs the epoch's metrics as one batch with step = epoch. */
  async epochEnded(record: EpochRecord): Promise<void> {
    const event = `epoch ${record.epoch} metrics`;
    await this.#guard.run(event, async () => {
      this.#records = this.#records.filter((earlier) => earlier.epoch < record.epoch);
      this.#records.push(structuredClone(record));
      if (!await this.#ensureRun()) {
        this.#guard.drop(event, "no MLflow run (its creation failed)");
        return;
      }
      await this.#logMetrics(epochMetrics(record, this.#info?.classNames ?? []), record.epoch);
    });
  }

  async #finish(
    status: "FINISHED" | "FAILED" | "KILLED",
    summary: ExperimentSummary | undefined,
    interruption: string | undefined,
  ): Promise<void> {
    try {
      if (!await this.#ensureRun()) {
        this.#guard.drop(`final status ${status}`, "no MLflow run (its creation failed)");
        return;
      }
      const classNames = this.#info?.classNames ?? [];
      if (summary !== undefined) {
        const step = Math.max(0, summary.epochsCompleted - 1);
        await this.#guard.run(
          "final metrics",
          () => this.#logMetrics(summaryMetrics(summary, classNames), step),
        );
      }
      if (interruption !== undefined) {
        await this.#guard.run("interruption tag", () =>
          this.#logBatch({
            tags: [{
              key: "mipcandy.interruption",
              value: truncateWithNote(interruption, TAG_VALUE_LIMIT),
            }],
          }));
      }
      if (this.#options.uploadArtifacts ?? true) {
        const reportStatus: ExperimentStatus = status === "FINISHED" ? "completed" : "interrupted";
        await this.#guard.run(
          "artifacts",
          () => this.#uploadArtifacts(reportStatus, summary, interruption),
        );
      }
      const endTime = summary !== undefined
        ? Date.parse(summary.finishedAt) || this.#now()
        : this.#now();
      await this.#guard.run(
        `final status ${status}`,
        () =>
          this.#call("POST", "runs/update", {
            run_id: this.#runId,
            status,
            end_time: endTime,
          }).then(() => {}),
      );
    } catch (error) {
      this.#guard.drop(`final status ${status}`, error);
    } finally {
      this.#guard.report();
    }
  }

  async #uploadArtifacts(
    status: ExperimentStatus,
    summary: ExperimentSummary | undefined,
    interruption: string | undefined,
  ): Promise<void> {
    const path = this.#artifactUri === undefined
      ? undefined
      : proxiedArtifactPath(this.#artifactUri);
    if (path === undefined) {
      const scheme = this.#artifactUri?.split(":")[0] ?? "unknown";
      this.#log(
        `MLflow: artifacts skipped, the run's artifact store (${scheme}:) is not proxied by ` +
          "the server; start it with --serve-artifacts to receive report.html and charts",
      );
      return;
    }
    const last = this.#records.at(-1);
    const prediction = last?.predictedFinalScore === undefined ? undefined : {
      finalScore: last.predictedFinalScore,
      convergenceEpoch: last.predictedConvergenceEpoch,
    };
    const drawing = layoutLineChart(
      trainingChartSpec(this.#records, { predictedFinalScore: prediction?.finalScore }),
    );
    const svg = renderChartSvg(drawing);
    const html = renderHtmlReport({
      info: this.#info!,
      records: this.#records,
      status,
      summary,
      interruption,
      prediction,
      chartSvg: svg,
      updatedAt: new Date(this.#now()).toISOString(),
    });
    const files: Array<[string, string, string | Uint8Array<ArrayBuffer>]> = [
      ["report.html", "text/html; charset=utf-8", html],
      ["progress.svg", "image/svg+xml", svg],
    ];
    if (this.#options.artifactPng ?? true) {
      files.push(["progress.png", "image/png", new Uint8Array(renderChartPng(drawing, 2))]);
    }
    for (const [name, contentType, body] of files) {
      const reply = await this.#http.send({
        method: "PUT",
        url: `${this.#settings.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${path}/${name}`,
        headers: this.#headers(contentType),
        body,
      });
      if (reply.status === 404 || reply.status === 405 || reply.status === 501) {
        this.#log(
          `MLflow: artifacts skipped, the server does not accept uploads (HTTP ${reply.status}); ` +
            "start it with --serve-artifacts",
        );
        return;
      }
      if (reply.status < 200 || reply.status > 299) {
        throw new HttpRequestError(
          `uploading ${name} answered HTTP ${reply.status}`,
          reply.status,
          reply.attempts,
        );
      }
    }
  }

  /** Logs the final metrics, uploads the artifacts and ends the run as FINISHED. */
  completed(summary: ExperimentSummary): Promise<void> {
    return this.#finish("FINISHED", summary, undefined);
  }

  /** Ends the run as KILLED (a signal) or FAILED (an error), with the reason as a tag. */
  interrupted(error: unknown, summary?: ExperimentSummary): Promise<void> {
    if (this.#info === undefined) return Promise.resolve();
    return this.#finish(
      isSignal(error) ? "KILLED" : "FAILED",
      summary,
      this.#http.mask(describeError(error)),
    );
  }
}
