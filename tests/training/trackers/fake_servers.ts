/**
 * Loopback HTTP servers standing in for MLflow, W&B and Notion in contract tests: they listen
 * on 127.0.0.1 only (port chosen by the system), record every request, answer through a
 * test-supplied handler, refuse more than a bounded number of requests, and stop themselves
 * after a bounded time even if a test forgets to.
 *
 * @module
 */

/** A request as the fake server received it. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** URL path, e.g. "/api/2.0/mlflow/runs/create". */
  path: string;
  /** Query parameters. */
  query: URLSearchParams;
  /** Request headers. */
  headers: Headers;
  /** Raw body. */
  bytes: Uint8Array;
  /** Body as text. */
  text: string;
}

/** Parses a recorded body as JSON. */
export function jsonOf(request: RecordedRequest): Record<string, unknown> {
  return JSON.parse(request.text);
}

/** What a handler returns: a response, or "hang" to answer only when the server stops. */
export type FakeReply = Response | "hang";

/** A running fake server. */
export interface FakeServer {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Stops the server (idempotent). */
  close(): Promise<void>;
}

/** Limits of a fake server. */
export interface FakeServerLimits {
  /** Requests answered before the server answers 599 to everything; default 200. */
  maxRequests?: number;
  /** The server closes itself after this many milliseconds; default 8000. */
  lifetimeMs?: number;
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * Starts a server on 127.0.0.1 answering each request with `handler(request, index)`.
 */
export function startFakeServer(
  handler: (request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>,
  limits: FakeServerLimits = {},
): FakeServer {
  const maxRequests = limits.maxRequests ?? 200;
  const requests: RecordedRequest[] = [];
  const stopping = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, signal: stopping.signal },
    async (request) => {
      const url = new URL(request.url);
      const bytes = new Uint8Array(await request.arrayBuffer());
      const recorded: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        bytes,
        text: new TextDecoder().decode(bytes),
      };
      requests.push(recorded);
      if (requests.length > maxRequests) return new Response("too many requests", { status: 599 });
      const reply = await handler(recorded, requests.length - 1);
      if (reply !== "hang") return reply;
      // Answer only once the server stops (the client has long timed out by then).
      await new Promise<void>((resolve) => {
        if (stopping.signal.aborted) return resolve();
        stopping.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return new Response("late", { status: 504 });
    },
  );
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      clearTimeout(lifetime);
      stopping.abort();
      await server.finished;
    })();
    return closed;
  };
  const lifetime = setTimeout(close, limits.lifetimeMs ?? 8000);
  const address = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${address.port}`, requests, close };
}

/** A loopback URL nothing listens on (a port just released), for "server down" tests. */
export async function refusedUrl(): Promise<string> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await Promise.resolve();
  return `http://127.0.0.1:${port}`;
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function instantSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
}
