/**
 * Delivering requests to a remote tracking service that may be down, slow or failing: every
 * attempt has a timeout; network errors, timeouts, 408, 429 (honouring `Retry-After`) and 5xx
 * are retried with exponential back-off and jitter, a bounded number of times; secrets are
 * masked in every message; and a {@link DeliveryGuard} turns failures into a list of dropped
 * events instead of exceptions, so a tracker never throws into training.
 *
 * @module
 */

/** How hard to try one request. */
export interface RetryPolicy {
  /** Attempts in total, the first included; default 4. */
  maxAttempts: number;
  /** Limit on one attempt (connect, headers and body), milliseconds; default 15000. */
  timeoutMs: number;
  /** Back-off before the second attempt, doubled after each further one; default 500. */
  initialDelayMs: number;
  /** Longest wait between attempts, `Retry-After` included; default 30000. */
  maxDelayMs: number;
}

/** The default {@link RetryPolicy}: at most about a minute per request. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  timeoutMs: 15_000,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
});

/** Settings of {@link RetryingHttpClient}, shared by the remote trackers' options. */
export interface HttpTransportOptions {
  /** Overrides of {@link DEFAULT_RETRY_POLICY}. */
  retry?: Partial<RetryPolicy>;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Waits between attempts; default a timer (tests inject an instant one). */
  sleep?: (milliseconds: number) => Promise<void>;
  /** Source of jitter in [0, 1); default `Math.random`. */
  random?: () => number;
  /** Wall clock in milliseconds, for `Retry-After` dates; default `Date.now`. */
  now?: () => number;
}

/** One request, its body already serialised. */
export interface HttpRequest {
  /** HTTP method, e.g. "POST". */
  method: string;
  /** Absolute URL. */
  url: string;
  /** Request headers (auth included). */
  headers?: Record<string, string>;
  /** Request body. */
  body?: string | Uint8Array<ArrayBuffer>;
}

/** The final answer to a request: status, headers and the whole body as text. */
export interface HttpReply {
  /** HTTP status of the last attempt. */
  status: number;
  /** Response headers of the last attempt. */
  headers: Headers;
  /** Response body of the last attempt. */
  body: string;
  /** How many attempts were made. */
  attempts: number;
}

/** A request that failed for good; its message never contains a secret. */
export class HttpRequestError extends Error {
  /** HTTP status of the last attempt, or undefined when no response came (network, timeout). */
  readonly status: number | undefined;
  /** How many attempts were made. */
  readonly attempts: number;
  /** Creates the error; `message` must already be masked. */
  constructor(message: string, status: number | undefined, attempts: number) {
    super(message);
    this.name = "HttpRequestError";
    this.status = status;
    this.attempts = attempts;
  }
}

/** Replaces every occurrence of each secret (4 characters or longer) in `text` by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  // Longest first, so a secret containing another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) masked = masked.split(secret).join("***");
  }
  return masked;
}

/** `name: message` of an error, or the value as a string. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Milliseconds asked for by a `Retry-After` header (seconds or an HTTP date), if valid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const defaultSleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A fetch that timed out; retried like a network error. */
class AttemptTimeout extends Error {
  constructor(milliseconds: number) {
    super(`no complete response within ${milliseconds} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * Sends requests with a timeout per attempt and bounded retries. After a request has failed
 * for good the client is *degraded*: later requests get a single attempt until one succeeds,
 * so a service that is down costs training one timeout per event, not a minute of back-off.
 *
 * @example
 * ```ts
 * import { RetryingHttpClient } from "./http_retry.ts";
 * const client = new RetryingHttpClient(["my-token"], { retry: { maxAttempts: 3 } });
 * // const reply = await client.sendOk({ method: "GET", url: "https://example.org" });
 * ```
 */
export class RetryingHttpClient {
  readonly #secrets: string[];
  readonly #policy: RetryPolicy;
  readonly #fetch: typeof fetch;
  readonly #sleep: (milliseconds: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  #degraded = false;

  /** A client that masks `secrets` in its errors. */
  constructor(secrets: readonly string[], options: HttpTransportOptions = {}) {
    this.#secrets = [...secrets];
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** True after a request failed for good, until the next success. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** `text` with this client's secrets masked. */
  mask(text: string): string {
    return maskSecrets(text, this.#secrets);
  }

  #backoff(attempt: number, retryAfterMs: number | undefined): number {
    const { initialDelayMs, maxDelayMs } = this.#policy;
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxDelayMs);
    const exponential = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
    // Jitter in [50 %, 100 %] keeps many clients from retrying in lockstep.
    return exponential * (0.5 + 0.5 * this.#random());
  }

  async #attempt(request: HttpRequest): Promise<HttpReply> {
    const controller = new AbortController();
    const timeoutMs = this.#policy.timeoutMs;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
      });
      const body = await response.text();
      return { status: response.status, headers: response.headers, body, attempts: 1 };
    } catch (error) {
      throw controller.signal.aborted ? new AttemptTimeout(timeoutMs) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `request`, retrying on network errors, timeouts, 408, 429 and 5xx. Resolves with
   * the last reply whatever its status; rejects with {@link HttpRequestError} when no
   * response came at all.
   */
  async send(request: HttpRequest): Promise<HttpReply> {
    const maxAttempts = this.#degraded ? 1 : Math.max(1, this.#policy.maxAttempts);
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const reply = await this.#attempt(request);
        reply.attempts = attempt;
        if (!isRetryableStatus(reply.status) || attempt === maxAttempts) {
          this.#degraded = isRetryableStatus(reply.status);
          return reply;
        }
        retryAfterMs = parseRetryAfter(reply.headers.get("retry-after"), this.#now());
      } catch (error) {
        lastError = error;
        if (attempt === maxAttempts) break;
      }
      await this.#sleep(this.#backoff(attempt, retryAfterMs));
    }
    this.#degraded = true;
    throw new HttpRequestError(
      this.mask(
        `${request.method} ${request.url} failed after ${maxAttempts} attempt(s): ${
          describeError(lastError)
        }`,
      ),
      undefined,
      maxAttempts,
    );
  }

  /** Like {@link send}, but a final status other than 2xx rejects with {@link HttpRequestError}. */
  async sendOk(request: HttpRequest): Promise<HttpReply> {
    const reply = await this.send(request);
    if (reply.status < 200 || reply.status > 299) {
      throw new HttpRequestError(
        this.mask(
          `${request.method} ${request.url} answered HTTP ${reply.status} after ${reply.attempts} ` +
            `attempt(s): ${reply.body.slice(0, 300)}`,
        ),
        reply.status,
        reply.attempts,
      );
    }
    return reply;
  }
}

/** An event a tracker could not deliver, and why. */
export interface DroppedEvent {
  /** What was lost, e.g. "epoch 3 metrics". */
  event: string;
  /** Why, secrets masked. */
  reason: string;
}

/**
 * Runs a tracker's deliveries so that none throws: a failure becomes a {@link DroppedEvent},
 * the first one is logged (later ones only counted, a service that is down would otherwise
 * flood the log every epoch), and {@link report} lists them all at the end.
 *
 * @example
 * ```ts
 * import { DeliveryGuard } from "./http_retry.ts";
 * const guard = new DeliveryGuard("MLflow", (text) => text, console.warn);
 * await guard.run("epoch 0 metrics", () => Promise.reject(new Error("down")));
 * guard.report(); // logs "MLflow tracker dropped 1 event(s): epoch 0 metrics (Error: down)"
 * ```
 */
export class DeliveryGuard {
  readonly #service: string;
  readonly #mask: (text: string) => string;
  readonly #log: (message: string) => void;
  readonly #dropped: DroppedEvent[] = [];

  /** Guards deliveries to `service`, masking messages with `mask` before they reach `log`. */
  constructor(service: string, mask: (text: string) => string, log: (message: string) => void) {
    this.#service = service;
    this.#mask = mask;
    this.#log = log;
  }

  /** The events dropped so far. */
  get dropped(): readonly DroppedEvent[] {
    return this.#dropped;
  }

  /** Records `event` as dropped for `reason` (an error or a text). */
  drop(event: string, reason: unknown): void {
    const entry = { event, reason: this.#mask(describeError(reason)) };
    this.#dropped.push(entry);
    if (this.#dropped.length === 1) {
      this.#log(
        `${this.#service} tracker could not deliver ${entry.event}: ${entry.reason}. Training ` +
          "continues; further failures are listed when the experiment ends.",
      );
    }
  }

  /** Runs `deliver`; true when it succeeded, false (and the event recorded) when it threw. */
  async run(event: string, deliver: () => Promise<void>): Promise<boolean> {
    try {
      await deliver();
      return true;
    } catch (error) {
      this.drop(event, error);
      return false;
    }
  }

  /** Logs the list of dropped events, when there is any. */
  report(): void {
    if (this.#dropped.length === 0) return;
    const shown = this.#dropped.slice(0, 10).map((d) => `${d.event} (${d.reason})`);
    const more = this.#dropped.length > 10 ? `; and ${this.#dropped.length - 10} more` : "";
    this.#log(
      `${this.#service} tracker dropped ${this.#dropped.length} event(s): ${
        shown.join("; ")
      }${more}`,
    );
  }
}
