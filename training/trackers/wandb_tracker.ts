/**
 * A {@link Tracker} that records experiments in Weights & Biases through its HTTP API, the
 * one the official clients use: the GraphQL mutation `upsertBucket` creates or updates the
 * run (name, config, summary), and the run's file stream
 * (`POST /files/<entity>/<project>/<run>/file_stream`) receives one `wandb-history.jsonl`
 * line per epoch, the `wandb-summary.json`, and finally `complete` with an exit code.
 *
 * Not the `@wandb/sdk` npm package: it keeps one global run per process, installs SIGINT and
 * SIGTERM handlers that call `process.exit` (which would cut short the trainer's own
 * interruption handling), prompts on stdin and writes `~/.netrc` when no key is set, streams
 * from a worker thread on its own timer, and offers no timeout or retry settings.
 *
 * @module
 */

import { epochMetrics, summaryMetrics } from "./epoch_metrics.ts";
import {
  DeliveryGuard,
  describeError,
  type DroppedEvent,
  type HttpTransportOptions,
  RetryingHttpClient,
} from "./http_retry.ts";
import type { JsonValue } from "../checkpoint.ts";
import type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";
import type { WandbSettings } from "./tracker_config.ts";

/** Settings of {@link WandbTracker}. */
export interface WandbTrackerOptions extends HttpTransportOptions {
  /**
   * The run's id (its URL name, made URL-safe); default the experiment id, so a resumed
   * experiment continues the same run.
   */
  runId?: string;
  /** Where failures go; default `console.warn`. */
  log?: (message: string) => void;
}

/** The GraphQL mutation that creates or updates a run ("bucket" in W&B's schema). */
export const UPSERT_BUCKET_MUTATION = `mutation UpsertBucket(
  $name: String, $project: String, $entity: String, $displayName: String,
  $config: JSONString, $tags: [String!], $jobType: String, $groupName: String,
  $summaryMetrics: JSONString
) {
  upsertBucket(input: {
    name: $name, modelName: $project, entityName: $entity, displayName: $displayName,
    config: $config, tags: $tags, jobType: $jobType, groupName: $groupName,
    summaryMetrics: $summaryMetrics
  }) {
    bucket { id name displayName project { name entity { name } } }
    inserted
  }
}`;

/** `id` made into a valid W&B run id: letters, digits, `_ . -`, at most 64 characters. */
export function wandbRunId(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 64) || "run";
}

interface UpsertReply {
  data?: {
    upsertBucket?: {
      bucket?: { name: string; project?: { name: string; entity?: { name: string } } };
    };
  };
  errors?: { message: string }[];
}

/**
 * Records experiments in Weights & Biases. It never throws: failed deliveries are retried
 * (see {@link RetryingHttpClient}), then dropped and listed when the experiment ends.
 *
 * @example
 * ```ts
 * import { WandbTracker } from "./wandb_tracker.ts";
 * import { readTrackerEnvironment, wandbSettings } from "./tracker_config.ts";
 * const settings = wandbSettings(await readTrackerEnvironment());
 * const tracker = settings ? new WandbTracker(settings) : undefined;
 * ```
 */
export class WandbTracker implements Tracker {
  readonly #settings: WandbSettings;
  readonly #options: WandbTrackerOptions;
  readonly #http: RetryingHttpClient;
  readonly #guard: DeliveryGuard;
  readonly #now: () => number;
  readonly #authorization: string;
  #info: ExperimentInfo | undefined;
  #runName: string | undefined;
  #entity: string | undefined;
  #created = false;
  #startMs = 0;
  #summary: Record<string, JsonValue> = {};

  /** Tracks into the project of `settings`. */
  constructor(settings: WandbSettings, options: WandbTrackerOptions = {}) {
    this.#settings = settings;
    this.#options = options;
    this.#authorization = `Basic ${btoa(`api:${settings.apiKey}`)}`;
    this.#http = new RetryingHttpClient(
      [settings.apiKey, this.#authorization.slice("Basic ".length)],
      options,
    );
    const log = options.log ?? ((message: string) => console.warn(message));
    this.#guard = new DeliveryGuard("W&B", (text) => this.#http.mask(text), log);
    this.#now = options.now ?? Date.now;
  }

  /** The run's id, once an experiment was created. */
  get runId(): string | undefined {
    return this.#runName;
  }

  /** Events that could not be delivered. */
  get dropped(): readonly DroppedEvent[] {
    return this.#guard.dropped;
  }

  #headers(): Record<string, string> {
    return { "Content-Type": "application/json", Authorization: this.#authorization };
  }

  async #upsert(variables: Record<string, unknown>): Promise<void> {
    const reply = await this.#http.sendOk({
      method: "POST",
      url: `${this.#settings.baseUrl}/graphql`,
      headers: this.#headers(),
      body: JSON.stringify({
        query: UPSERT_BUCKET_MUTATION,
        variables: {
          name: this.#runName,
          project: this.#settings.project,
          entity: this.#entity,
          ...variables,
        },
      }),
    });
    const answer = JSON.parse(reply.body) as UpsertReply;
    if (answer.errors?.length) {
      throw new Error(`upsertBucket: ${answer.errors.map((e) => e.message).join("; ")}`);
    }
    this.#entity ??= answer.data?.upsertBucket?.bucket?.project?.entity?.name;
    if (this.#entity === undefined) {
      throw new Error("upsertBucket answered without the run's entity; set WANDB_ENTITY");
    }
  }

  async #createRun(): Promise<void> {
    const info = this.#info!;
    const config = Object.fromEntries(
      Object.entries(info.config).map(([key, value]) => [key, { desc: null, value }]),
    );
    config.mipcandy = {
      desc: null,
      value: {
        experimentId: info.experimentId,
        trainer: info.trainerName,
        model: info.modelName,
        bundle: info.bundleName ?? null,
        fold: info.fold ?? null,
        classNames: info.classNames ?? null,
      },
    };
    await this.#upsert({
      displayName: info.name,
      config: JSON.stringify(config),
      tags: [info.modelName, ...(info.fold === undefined ? [] : [`fold ${info.fold}`])],
      jobType: "train",
    });
    this.#created = true;
  }

  async #ensureRun(): Promise<boolean> {
    if (this.#created) return true;
    if (this.#info === undefined) return false;
    return await this.#guard.run("run creation", () => this.#createRun());
  }

  async #stream(payload: unknown): Promise<void> {
    const path = [this.#entity!, this.#settings.project, this.#runName!]
      .map(encodeURIComponent).join("/");
    await this.#http.sendOk({
      method: "POST",
      url: `${this.#settings.baseUrl}/files/${path}/file_stream`,
      headers: this.#headers(),
      body: JSON.stringify(payload),
    });
  }

  #summaryFile(): { offset: number; content: string[] } {
    return { offset: 0, content: [JSON.stringify(this.#summary)] };
  }

  /** Creates (or, on resume, updates) the run with the experiment's config. */
  async experimentCreated(info: ExperimentInfo): Promise<void> {
    this.#info = structuredClone(info);
    this.#runName = wandbRunId(this.#options.runId ?? info.experimentId);
    this.#entity = this.#settings.entity;
    this.#created = false;
    this.#startMs = Date.parse(info.startedAt) || this.#now();
    this.#summary = {};
    await this.#ensureRun();
  }

  /**
   * Streams one history line with `_step` = epoch, at line offset = epoch, so a resumed run
   * rewrites the epochs it repeats instead of appending them twice.
   */
  async epochEnded(record: EpochRecord): Promise<void> {
    const event = `epoch ${record.epoch} history`;
    await this.#guard.run(event, async () => {
      if (!await this.#ensureRun()) {
        this.#guard.drop(event, "no W&B run (its creation failed)");
        return;
      }
      const now = this.#now();
      const row = {
        ...epochMetrics(record, this.#info?.classNames ?? []),
        epoch: record.epoch,
        _step: record.epoch,
        _runtime: Math.max(0, (now - this.#startMs) / 1000),
        _timestamp: now / 1000,
      };
      Object.assign(this.#summary, row);
      await this.#stream({
        files: {
          "wandb-history.jsonl": { offset: record.epoch, content: [JSON.stringify(row)] },
          "wandb-summary.json": this.#summaryFile(),
        },
      });
    });
  }

  async #finish(
    exitCode: number,
    summary: ExperimentSummary | undefined,
    interruption: string | undefined,
  ): Promise<void> {
    const state = exitCode === 0 ? "finished" : "failed";
    try {
      if (!await this.#ensureRun()) {
        this.#guard.drop(`final state ${state}`, "no W&B run (its creation failed)");
        return;
      }
      if (summary !== undefined) {
        Object.assign(this.#summary, summaryMetrics(summary, this.#info?.classNames ?? []));
      }
      if (interruption !== undefined) this.#summary.interruption = interruption;
      await this.#guard.run("final summary", async () => {
        await this.#upsert({ summaryMetrics: JSON.stringify(this.#summary) });
        await this.#stream({ files: { "wandb-summary.json": this.#summaryFile() } });
      });
      await this.#guard.run(
        `final state ${state}`,
        () => this.#stream({ complete: true, exitcode: exitCode }),
      );
    } catch (error) {
      this.#guard.drop(`final state ${state}`, error);
    } finally {
      this.#guard.report();
    }
  }

  /** Sends the final summary and marks the run finished (exit code 0). */
  completed(summary: ExperimentSummary): Promise<void> {
    return this.#finish(0, summary, undefined);
  }

  /** Sends the summary so far with the reason and marks the run failed (exit code 1). */
  interrupted(error: unknown, summary?: ExperimentSummary): Promise<void> {
    if (this.#info === undefined) return Promise.resolve();
    return this.#finish(1, summary, this.#http.mask(describeError(error)));
  }
}
