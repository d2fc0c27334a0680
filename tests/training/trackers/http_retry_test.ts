import assert from "node:assert/strict";
import {
  DeliveryGuard,
  HttpRequestError,
  maskSecrets,
  parseRetryAfter,
  RetryingHttpClient,
} from "../../../training/trackers/http_retry.ts";
import { instantSleep, json, refusedUrl, startFakeServer } from "./fake_servers.ts";

Deno.test("500 then success is retried with jittered exponential back-off", async () => {
  const server = startFakeServer((_, index) =>
    index < 2 ? new Response("boom", { status: 500 }) : json({ ok: true })
  );
  try {
    const { sleep, waits } = instantSleep();
    const client = new RetryingHttpClient([], {
      sleep,
      random: () => 1,
      retry: { initialDelayMs: 100 },
    });
    const reply = await client.sendOk({ method: "POST", url: `${server.url}/x`, body: "{}" });
    assert.equal(reply.status, 200);
    assert.equal(reply.attempts, 3);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(waits, [100, 200]);
    assert.equal(client.degraded, false);
  } finally {
    await server.close();
  }
});

Deno.test("429 honours Retry-After in seconds, capped by maxDelayMs", async () => {
  const server = startFakeServer((_, index) =>
    index === 0
      ? new Response("slow down", { status: 429, headers: { "Retry-After": "2" } })
      : index === 1
      ? new Response("slow down", { status: 429, headers: { "Retry-After": "3600" } })
      : json({})
  );
  try {
    const { sleep, waits } = instantSleep();
    const client = new RetryingHttpClient([], { sleep, retry: { maxDelayMs: 10_000 } });
    await client.sendOk({ method: "GET", url: server.url });
    assert.deepEqual(waits, [2000, 10_000]);
  } finally {
    await server.close();
  }
});

Deno.test("Retry-After as an HTTP date", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now), 5000);
  assert.equal(parseRetryAfter("1.5", now), 1500);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

Deno.test("a 4xx other than 408/429 is not retried", async () => {
  const server = startFakeServer(() => json({ error_code: "INVALID_PARAMETER_VALUE" }, 400));
  try {
    const client = new RetryingHttpClient([], { sleep: instantSleep().sleep });
    await assert.rejects(
      client.sendOk({ method: "POST", url: server.url }),
      (error: unknown) => error instanceof HttpRequestError && error.status === 400,
    );
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("connection refused gives up after maxAttempts, then single attempts", async () => {
  const url = await refusedUrl();
  const { sleep, waits } = instantSleep();
  const client = new RetryingHttpClient(["s3cr3t-token"], { sleep, retry: { maxAttempts: 3 } });
  await assert.rejects(
    client.send({ method: "GET", url: `${url}/path?key=s3cr3t-token` }),
    (error: unknown) =>
      error instanceof HttpRequestError && error.attempts === 3 && error.status === undefined &&
      !error.message.includes("s3cr3t-token") && error.message.includes("***"),
  );
  assert.equal(waits.length, 2);
  assert.equal(client.degraded, true);
  await assert.rejects(client.send({ method: "GET", url }), HttpRequestError);
  assert.equal(waits.length, 2, "a degraded client makes one attempt, no back-off");
});

Deno.test("a server that never answers times out per attempt", async () => {
  const server = startFakeServer(() => "hang");
  try {
    const client = new RetryingHttpClient([], {
      sleep: instantSleep().sleep,
      retry: { maxAttempts: 2, timeoutMs: 150 },
    });
    await assert.rejects(
      client.send({ method: "GET", url: server.url }),
      (error: unknown) => error instanceof HttpRequestError && /150 ms/.test(error.message),
    );
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("maskSecrets hides every secret, longest first", () => {
  assert.equal(maskSecrets("key abcd1234 and abcd", ["abcd", "abcd1234"]), "key *** and ***");
  assert.equal(maskSecrets("short ab", ["ab"]), "short ab");
});

Deno.test("DeliveryGuard never throws, logs the first failure and reports all", async () => {
  const messages: string[] = [];
  const guard = new DeliveryGuard("Demo", (text) => text.replaceAll("tok", "***"), (m) => {
    messages.push(m);
  });
  assert.equal(await guard.run("epoch 0", () => Promise.reject(new Error("tok leaked"))), false);
  assert.equal(await guard.run("epoch 1", () => Promise.reject(new Error("again"))), false);
  assert.equal(await guard.run("epoch 2", () => Promise.resolve()), true);
  assert.equal(messages.length, 1);
  assert.match(messages[0], /epoch 0: Error: \*\*\* leaked/);
  guard.report();
  assert.equal(messages.length, 2);
  assert.match(messages[1], /dropped 2 event\(s\): epoch 0 .*; epoch 1 \(Error: again\)/);
  assert.deepEqual(guard.dropped.map((d) => d.event), ["epoch 0", "epoch 1"]);
});
