/**
 * A {@link Tracker} that keeps one row per experiment in a Notion database, through the
 * official `@notionhq/client`: `pages.create` when the experiment starts, `pages.update` as
 * epochs end (at most one update per interval, so long runs stay far below Notion's rate
 * limit) and always a final update when it completes or is interrupted.
 *
 * The database needs these properties (names configurable through
 * {@link NotionTrackerOptions.propertyNames}): Name (title), Status (select: running,
 * completed, interrupted), Progress, Epoch, Best score, Predicted final score (numbers),
 * Trainer, Model, Params, Error (text), Started, Ended (dates).
 *
 * @module
 */

import { Client } from "@notionhq/client";
import { truncateWithNote } from "./epoch_metrics.ts";
import {
  DeliveryGuard,
  describeError,
  type DroppedEvent,
  type HttpTransportOptions,
  RetryingHttpClient,
} from "./http_retry.ts";
import type { EpochRecord, ExperimentInfo, ExperimentSummary, Tracker } from "./tracker.ts";
import type { NotionSettings } from "./tracker_config.ts";

/** Notion's limit on the text of one rich-text item. */
export const NOTION_TEXT_LIMIT = 2000;

/** Names of the database properties the tracker fills. */
export interface NotionPropertyNames {
  /** Title property: the experiment's name. */
  name: string;
  /** Select: running, completed or interrupted. */
  status: string;
  /** Number in [0, 1]: epochs done over epochs planned (config.epochs). */
  progress: string;
  /** Number: the last finished epoch, counted from 0. */
  epoch: string;
  /** Number: the best score so far. */
  bestScore: string;
  /** Number: the predicted final score, when one was made. */
  predictedFinalScore: string;
  /** Text: the trainer's name. */
  trainer: string;
  /** Text: the model's name. */
  model: string;
  /** Text: the config as JSON (truncated to 2000 characters). */
  params: string;
  /** Date: when training started. */
  started: string;
  /** Date: when training ended. */
  ended: string;
  /** Text: why training stopped, when interrupted. */
  error: string;
}

/** The property names used unless overridden. */
export const DEFAULT_NOTION_PROPERTY_NAMES: Readonly<NotionPropertyNames> = Object.freeze({
  name: "Name",
  status: "Status",
  progress: "Progress",
  epoch: "Epoch",
  bestScore: "Best score",
  predictedFinalScore: "Predicted final score",
  trainer: "Trainer",
  model: "Model",
  params: "Params",
  started: "Started",
  ended: "Ended",
  error: "Error",
});

/** Settings of {@link NotionTracker}. */
export interface NotionTrackerOptions extends HttpTransportOptions {
  /** Fewest milliseconds between two epoch updates of the row; default 10000. */
  minUpdateIntervalMs?: number;
  /** API server; default `https://api.notion.com` (tests point it at a loopback server). */
  baseUrl?: string;
  /** Overrides of {@link DEFAULT_NOTION_PROPERTY_NAMES}. */
  propertyNames?: Partial<NotionPropertyNames>;
  /** Where failures go; default `console.warn`. */
  log?: (message: string) => void;
}

type Status = "running" | "completed" | "interrupted";

/** A page property value as `pages.create` / `pages.update` take it. */
type PropertyValue =
  | { title: { text: { content: string } }[] }
  | { rich_text: { text: { content: string } }[] }
  | { number: number | null }
  | { select: { name: string } }
  | { date: { start: string } | null };

function text(content: string): { text: { content: string } }[] {
  return [{ text: { content: truncateWithNote(content, NOTION_TEXT_LIMIT) } }];
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Keeps an experiment's row in a Notion database up to date. It never throws: failed calls
 * are retried (see {@link RetryingHttpClient}; the client's own retries are off), then
 * dropped and listed when the experiment ends. A row whose creation failed is created by
 * the next update.
 *
 * @example
 * ```ts
 * import { NotionTracker } from "./notion_tracker.ts";
 * import { notionSettings, readTrackerEnvironment } from "./tracker_config.ts";
 * const settings = notionSettings(await readTrackerEnvironment());
 * const tracker = settings
 *   ? new NotionTracker(settings, { minUpdateIntervalMs: 30_000 })
 *   : undefined;
 * ```
 */
export class NotionTracker implements Tracker {
  readonly #settings: NotionSettings;
  readonly #names: NotionPropertyNames;
  readonly #interval: number;
  readonly #http: RetryingHttpClient;
  readonly #guard: DeliveryGuard;
  readonly #client: Client;
  readonly #now: () => number;
  #info: ExperimentInfo | undefined;
  #pageId: string | undefined;
  #lastUpdate = -Infinity;
  #latest: EpochRecord | undefined;

  /** Tracks into the database of `settings`. */
  constructor(settings: NotionSettings, options: NotionTrackerOptions = {}) {
    this.#settings = settings;
    this.#names = { ...DEFAULT_NOTION_PROPERTY_NAMES, ...options.propertyNames };
    this.#interval = options.minUpdateIntervalMs ?? 10_000;
    this.#http = new RetryingHttpClient([settings.token], options);
    const log = options.log ?? ((message: string) => console.warn(message));
    this.#guard = new DeliveryGuard("Notion", (message) => this.#http.mask(message), log);
    this.#now = options.now ?? Date.now;
    this.#client = new Client({
      auth: settings.token,
      baseUrl: options.baseUrl ?? "https://api.notion.com",
      fetch: (url, init) => this.#fetch(url, init),
      // Retries, timeouts and logging are ours: one policy for all trackers, secrets masked.
      retry: false,
      timeoutMs: 3_600_000,
      logger: () => {},
    });
  }

  /** Id of the experiment's row, once created. */
  get pageId(): string | undefined {
    return this.#pageId;
  }

  /** Events that could not be delivered. */
  get dropped(): readonly DroppedEvent[] {
    return this.#guard.dropped;
  }

  async #fetch(url: string, init?: RequestInit): Promise<Response> {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => headers[name] = value);
    const reply = await this.#http.send({
      method: init?.method ?? "GET",
      url,
      headers,
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    const body = NULL_BODY_STATUSES.has(reply.status) ? null : reply.body;
    return new Response(body, { status: reply.status, headers: reply.headers });
  }

  #properties(status: Status, summary?: ExperimentSummary, error?: string) {
    const info = this.#info!;
    const names = this.#names;
    const record = this.#latest;
    const planned = typeof info.config.epochs === "number" ? info.config.epochs : undefined;
    const done = summary?.epochsCompleted ?? (record === undefined ? 0 : record.epoch + 1);
    const progress = status === "completed"
      ? 1
      : planned !== undefined && planned > 0
      ? Math.min(1, done / planned)
      : null;
    const properties: Record<string, PropertyValue> = {
      [names.name]: { title: text(info.name) },
      [names.status]: { select: { name: status } },
      [names.progress]: { number: progress },
      [names.epoch]: { number: record?.epoch ?? null },
      [names.bestScore]: { number: finiteOrNull(summary?.bestScore ?? record?.bestScore) },
      [names.predictedFinalScore]: { number: finiteOrNull(record?.predictedFinalScore) },
      [names.trainer]: { rich_text: text(info.trainerName) },
      [names.model]: { rich_text: text(info.modelName) },
      [names.params]: { rich_text: text(JSON.stringify(info.config)) },
      [names.started]: { date: { start: info.startedAt } },
    };
    if (status !== "running") {
      properties[names.ended] = {
        date: { start: summary?.finishedAt ?? new Date(this.#now()).toISOString() },
      };
    }
    if (error !== undefined) properties[names.error] = { rich_text: text(error) };
    return properties;
  }

  async #write(status: Status, summary?: ExperimentSummary, error?: string): Promise<void> {
    const properties = this.#properties(status, summary, error);
    if (this.#pageId === undefined) {
      const page = await this.#client.pages.create({
        parent: { database_id: this.#settings.databaseId },
        properties,
      });
      this.#pageId = page.id;
    } else {
      await this.#client.pages.update({ page_id: this.#pageId, properties });
    }
    this.#lastUpdate = this.#now();
  }

  /** Adds the experiment's row with status "running". */
  async experimentCreated(info: ExperimentInfo): Promise<void> {
    this.#info = structuredClone(info);
    this.#pageId = undefined;
    this.#latest = undefined;
    this.#lastUpdate = -Infinity;
    await this.#guard.run("row creation", () => this.#write("running"));
  }

  /** Updates the row, unless the previous update is more recent than the interval. */
  async epochEnded(record: EpochRecord): Promise<void> {
    if (this.#info === undefined) {
      this.#guard.drop(`epoch ${record.epoch} update`, "epochEnded came before experimentCreated");
      return;
    }
    this.#latest = structuredClone(record);
    if (this.#now() - this.#lastUpdate < this.#interval) return;
    await this.#guard.run(`epoch ${record.epoch} update`, () => this.#write("running"));
  }

  async #finish(status: Status, summary?: ExperimentSummary, error?: string): Promise<void> {
    try {
      await this.#guard.run(`final update (${status})`, () => this.#write(status, summary, error));
    } finally {
      this.#guard.report();
    }
  }

  /** Marks the row completed, with progress 1 and the end time. */
  completed(summary: ExperimentSummary): Promise<void> {
    if (this.#info === undefined) return Promise.resolve();
    return this.#finish("completed", summary);
  }

  /** Marks the row interrupted, with the reason (secrets masked). */
  interrupted(error: unknown, summary?: ExperimentSummary): Promise<void> {
    if (this.#info === undefined) return Promise.resolve();
    return this.#finish("interrupted", summary, this.#http.mask(describeError(error)));
  }
}
