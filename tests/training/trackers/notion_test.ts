import assert from "node:assert/strict";
import { NOTION_TEXT_LIMIT, NotionTracker } from "../../../training/trackers/notion_tracker.ts";
import type { EpochRecord, ExperimentInfo } from "../../../training/trackers/tracker.ts";
import {
  instantSleep,
  json,
  jsonOf,
  type RecordedRequest,
  refusedUrl,
  startFakeServer,
} from "./fake_servers.ts";

const TOKEN = "ntn_secret_integration_token_42";
const DATABASE = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";

const info: ExperimentInfo = {
  experimentId: "Task04-unet-fold_0",
  name: "Task04 unet fold 0",
  trainerName: "Trainer",
  modelName: "unet",
  config: { epochs: 4, notes: "n".repeat(3000) },
  startedAt: "2025-03-01T10:00:00.000Z",
};

function epoch(index: number): EpochRecord {
  return {
    epoch: index,
    trainLoss: 0.5,
    learningRate: 0.01,
    epochSeconds: 1,
    bestScore: 0.5 + index / 10,
    predictedFinalScore: 0.9,
  };
}

/** Answers like api.notion.com for pages.create and pages.update. */
function notionHandler(request: RecordedRequest): Response {
  if (request.method === "POST" && request.path === "/v1/pages") {
    return json({ object: "page", id: "page-1", properties: {} });
  }
  if (request.method === "PATCH" && request.path === "/v1/pages/page-1") {
    return json({ object: "page", id: "page-1", properties: {} });
  }
  return json({ object: "error", status: 404, code: "object_not_found", message: "no" }, 404);
}

type Properties = Record<string, Record<string, unknown>>;
const propertiesOf = (request: RecordedRequest) =>
  (jsonOf(request) as { properties: Properties }).properties;

Deno.test("Notion: a row is created, updated at most once per interval, and finalised", async () => {
  const server = startFakeServer(notionHandler);
  let now = 0;
  const messages: string[] = [];
  try {
    const tracker = new NotionTracker({ token: TOKEN, databaseId: DATABASE }, {
      baseUrl: server.url,
      minUpdateIntervalMs: 10_000,
      now: () => now,
      log: (m) => messages.push(m),
    });
    await tracker.experimentCreated(info);
    now = 1_000;
    await tracker.epochEnded(epoch(0)); // too soon: skipped
    now = 11_000;
    await tracker.epochEnded(epoch(1)); // sent
    now = 12_000;
    await tracker.epochEnded(epoch(2)); // too soon: skipped
    now = 13_000;
    await tracker.completed({
      epochsCompleted: 3,
      bestScore: 0.7,
      durationSeconds: 13,
      finishedAt: "2025-03-01T10:00:13.000Z",
    });
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
      "POST /v1/pages",
      "PATCH /v1/pages/page-1",
      "PATCH /v1/pages/page-1",
    ]);
    for (const request of server.requests) {
      assert.equal(request.headers.get("authorization"), `Bearer ${TOKEN}`);
      assert.match(request.headers.get("notion-version") ?? "", /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(request.headers.get("content-type"), "application/json");
    }
    const [create, update, final] = server.requests;
    assert.deepEqual((jsonOf(create) as { parent: unknown }).parent, { database_id: DATABASE });
    const created = propertiesOf(create);
    assert.deepEqual(created["Name"], { title: [{ text: { content: info.name } }] });
    assert.deepEqual(created["Status"], { select: { name: "running" } });
    assert.deepEqual(created["Progress"], { number: 0 });
    assert.deepEqual(created["Trainer"], { rich_text: [{ text: { content: "Trainer" } }] });
    assert.deepEqual(created["Started"], { date: { start: info.startedAt } });
    const params = (created["Params"].rich_text as { text: { content: string } }[])[0];
    assert.equal(params.text.content.length, NOTION_TEXT_LIMIT);
    assert.ok(params.text.content.startsWith('{"epochs":4,'));
    assert.equal(created["Ended"], undefined);

    const updated = propertiesOf(update);
    assert.deepEqual(updated["Epoch"], { number: 1 });
    assert.deepEqual(updated["Progress"], { number: 0.5 });
    assert.deepEqual(updated["Best score"], { number: 0.6 });
    assert.deepEqual(updated["Predicted final score"], { number: 0.9 });

    const finished = propertiesOf(final);
    assert.deepEqual(finished["Status"], { select: { name: "completed" } });
    assert.deepEqual(finished["Progress"], { number: 1 });
    assert.deepEqual(finished["Epoch"], { number: 2 });
    assert.deepEqual(finished["Best score"], { number: 0.7 });
    assert.deepEqual(finished["Ended"], { date: { start: "2025-03-01T10:00:13.000Z" } });
    assert.deepEqual(tracker.dropped, []);
    assert.deepEqual(messages, []);
  } finally {
    await server.close();
  }
});

Deno.test("Notion: an interruption records status, end time and the masked error", async () => {
  const server = startFakeServer(notionHandler);
  try {
    const tracker = new NotionTracker({ token: TOKEN, databaseId: DATABASE }, {
      baseUrl: server.url,
      propertyNames: { error: "Why" },
      now: () => Date.parse("2025-03-01T11:00:00.000Z"),
    });
    await tracker.experimentCreated(info);
    await tracker.interrupted(new Error(`GPU lost (token ${TOKEN})`));
    const properties = propertiesOf(server.requests[1]);
    assert.deepEqual(properties["Status"], { select: { name: "interrupted" } });
    assert.deepEqual(properties["Why"], {
      rich_text: [{ text: { content: "Error: GPU lost (token ***)" } }],
    });
    assert.deepEqual(properties["Ended"], { date: { start: "2025-03-01T11:00:00.000Z" } });
  } finally {
    await server.close();
  }
});

Deno.test("Notion: 429 with Retry-After and 500 are retried through our policy", async () => {
  let calls = 0;
  const server = startFakeServer((request) => {
    calls++;
    if (calls === 1) {
      return json({ object: "error", status: 429, code: "rate_limited", message: "slow" }, 429, {
        "Retry-After": "4",
      });
    }
    if (calls === 2) {
      return json({ object: "error", status: 500, code: "internal_server_error" }, 500);
    }
    return notionHandler(request);
  });
  try {
    const { sleep, waits } = instantSleep();
    const tracker = new NotionTracker({ token: TOKEN, databaseId: DATABASE }, {
      baseUrl: server.url,
      sleep,
      random: () => 0,
      retry: { initialDelayMs: 100 },
    });
    await tracker.experimentCreated(info);
    assert.equal(tracker.pageId, "page-1");
    assert.deepEqual(waits, [4000, 100]);
    assert.deepEqual(tracker.dropped, []);
  } finally {
    await server.close();
  }
});

Deno.test("Notion: a validation error is dropped, and the row is created later", async () => {
  let calls = 0;
  const server = startFakeServer((request) => {
    calls++;
    if (calls === 1) {
      return json({
        object: "error",
        status: 400,
        code: "validation_error",
        message: "Status is not a property that exists.",
      }, 400);
    }
    return notionHandler(request);
  });
  const messages: string[] = [];
  try {
    const tracker = new NotionTracker({ token: TOKEN, databaseId: DATABASE }, {
      baseUrl: server.url,
      minUpdateIntervalMs: 0,
      log: (m) => messages.push(m),
    });
    await tracker.experimentCreated(info);
    await tracker.epochEnded(epoch(0));
    assert.equal(server.requests.length, 2, "400 is not retried");
    assert.equal(server.requests[1].path, "/v1/pages");
    assert.equal(tracker.pageId, "page-1");
    assert.match(tracker.dropped[0].reason, /Status is not a property/);
    assert.equal(messages.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("Notion: down, slow or failing API never stops training", async () => {
  const down = await refusedUrl();
  const slow = startFakeServer(() => "hang");
  const failing = startFakeServer(() => new Response("bad gateway", { status: 502 }), {
    maxRequests: 30,
  });
  const messages: string[] = [];
  try {
    for (const url of [down, slow.url, failing.url]) {
      const tracker = new NotionTracker({ token: TOKEN, databaseId: DATABASE }, {
        baseUrl: url,
        minUpdateIntervalMs: 0,
        sleep: instantSleep().sleep,
        retry: { maxAttempts: 2, timeoutMs: 100 },
        log: (m) => messages.push(m),
      });
      await tracker.experimentCreated(info);
      await tracker.epochEnded(epoch(0));
      await tracker.completed({ epochsCompleted: 1, durationSeconds: 1, finishedAt: "x" });
      assert.deepEqual(tracker.dropped.map((d) => d.event), [
        "row creation",
        "epoch 0 update",
        "final update (completed)",
      ]);
    }
    assert.ok(failing.requests.length <= 2 + 2);
    assert.ok(messages.every((m) => !m.includes(TOKEN)));
    assert.ok(messages.some((m) => /Notion tracker dropped 3 event\(s\)/.test(m)));
  } finally {
    await slow.close();
    await failing.close();
  }
});
