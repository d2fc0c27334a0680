import assert from "node:assert/strict";
import {
  UPSERT_BUCKET_MUTATION,
  wandbRunId,
  WandbTracker,
} from "../../../training/trackers/wandb_tracker.ts";
import type { EpochRecord, ExperimentInfo } from "../../../training/trackers/tracker.ts";
import {
  instantSleep,
  json,
  jsonOf,
  type RecordedRequest,
  refusedUrl,
  startFakeServer,
} from "./fake_servers.ts";

const KEY = "0123456789abcdef0123456789abcdef01234567";
const NOW = Date.parse("2025-03-01T10:00:30.000Z");

const info: ExperimentInfo = {
  experimentId: "Task04-unet-fold_0",
  name: "Task04 unet fold 0",
  trainerName: "Trainer",
  modelName: "unet",
  config: { epochs: 2, optimizer: { lr: 0.01 } },
  fold: 0,
  startedAt: "2025-03-01T10:00:00.000Z",
  classNames: ["anterior", "posterior"],
};

function epoch(index: number): EpochRecord {
  return {
    epoch: index,
    trainLoss: 1 - index * 0.1,
    validationLoss: 0.8,
    pseudoDice: [0.5, 0.4],
    meanPseudoDice: 0.45,
    emaPseudoDice: 0.4,
    learningRate: 0.01,
    epochSeconds: 3,
  };
}

/** Answers like api.wandb.ai: upsertBucket returns the run with the key's entity. */
function wandbHandler(request: RecordedRequest): Response {
  if (request.method === "POST" && request.path === "/graphql") {
    const { variables } = jsonOf(request) as { variables: { name: string; project: string } };
    return json({
      data: {
        upsertBucket: {
          bucket: {
            id: "b1",
            name: variables.name,
            displayName: "x",
            project: { name: variables.project, entity: { name: "ana" } },
          },
          inserted: true,
        },
      },
    });
  }
  if (
    request.method === "POST" && /^\/files\/[^/]+\/[^/]+\/[^/]+\/file_stream$/.test(request.path)
  ) {
    return json({ exitcode: null, limits: {} });
  }
  return json({ error: "not found" }, 404);
}

Deno.test("W&B: a full lifecycle sends upsertBucket and file-stream requests", async () => {
  const server = startFakeServer(wandbHandler);
  const messages: string[] = [];
  try {
    const tracker = new WandbTracker(
      { apiKey: KEY, project: "hippo", baseUrl: server.url },
      { now: () => NOW, log: (m) => messages.push(m) },
    );
    await tracker.experimentCreated(info);
    await tracker.epochEnded(epoch(0));
    await tracker.epochEnded(epoch(1));
    await tracker.completed({
      epochsCompleted: 2,
      bestScore: 0.5,
      bestEpoch: 1,
      finalMetrics: { dice: [0.9, 0.8] },
      durationSeconds: 60,
      finishedAt: "2025-03-01T10:01:00.000Z",
    });
    const stream = "/files/ana/hippo/Task04-unet-fold_0/file_stream";
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
      "POST /graphql",
      `POST ${stream}`,
      `POST ${stream}`,
      "POST /graphql",
      `POST ${stream}`,
      `POST ${stream}`,
    ]);
    const basic = `Basic ${btoa(`api:${KEY}`)}`;
    for (const request of server.requests) {
      assert.equal(request.headers.get("authorization"), basic);
      assert.equal(request.headers.get("content-type"), "application/json");
    }
    const create = jsonOf(server.requests[0]) as {
      query: string;
      variables: Record<string, unknown>;
    };
    assert.equal(create.query, UPSERT_BUCKET_MUTATION);
    assert.equal(create.variables.name, "Task04-unet-fold_0");
    assert.equal(create.variables.project, "hippo");
    assert.equal(create.variables.entity, undefined, "the key's own entity by default");
    assert.equal(create.variables.displayName, info.name);
    const config = JSON.parse(create.variables.config as string);
    assert.deepEqual(config.epochs, { desc: null, value: 2 });
    assert.deepEqual(config.optimizer, { desc: null, value: { lr: 0.01 } });
    assert.equal(config.mipcandy.value.trainer, "Trainer");

    for (const index of [0, 1]) {
      const body = jsonOf(server.requests[1 + index]) as {
        files: Record<string, { offset: number; content: string[] }>;
      };
      const history = body.files["wandb-history.jsonl"];
      assert.equal(history.offset, index);
      const row = JSON.parse(history.content[0]);
      assert.equal(row._step, index);
      assert.equal(row._runtime, 30);
      assert.equal(row._timestamp, NOW / 1000);
      assert.equal(row["pseudo_dice/anterior"], 0.5);
      assert.equal(body.files["wandb-summary.json"].offset, 0);
    }
    const finalUpsert = jsonOf(server.requests[3]) as { variables: Record<string, unknown> };
    assert.equal(finalUpsert.variables.entity, "ana");
    const summary = JSON.parse(finalUpsert.variables.summaryMetrics as string);
    assert.equal(summary["final/dice/anterior"], 0.9);
    assert.equal(summary.train_loss, 0.9);
    assert.deepEqual(jsonOf(server.requests[5]), { complete: true, exitcode: 0 });
    assert.deepEqual(tracker.dropped, []);
    assert.deepEqual(messages, []);
  } finally {
    await server.close();
  }
});

Deno.test("W&B: an interruption marks the run failed with the reason", async () => {
  const server = startFakeServer(wandbHandler);
  try {
    const tracker = new WandbTracker(
      { apiKey: KEY, project: "p", entity: "team", baseUrl: server.url },
      { runId: "my run/1", log: () => {} },
    );
    await tracker.experimentCreated(info);
    await tracker.interrupted(new Error(`crashed with ${KEY}`));
    assert.deepEqual(server.requests.map((r) => r.path), [
      "/graphql",
      "/graphql",
      "/files/team/p/my-run-1/file_stream",
      "/files/team/p/my-run-1/file_stream",
    ]);
    const summary = JSON.parse(
      (jsonOf(server.requests[1]) as { variables: { summaryMetrics: string } }).variables
        .summaryMetrics,
    );
    assert.equal(summary.interruption, "Error: crashed with ***");
    assert.deepEqual(jsonOf(server.requests.at(-1)!), { complete: true, exitcode: 1 });
  } finally {
    await server.close();
  }
});

Deno.test("W&B: GraphQL errors, 500 then success and 429 with Retry-After", async () => {
  let calls = 0;
  const server = startFakeServer((request) => {
    calls++;
    if (calls === 1) return json({ errors: [{ message: "project not found" }] });
    if (calls === 2) return new Response("oops", { status: 500 });
    if (calls === 4) return new Response("", { status: 429, headers: { "Retry-After": "3" } });
    return wandbHandler(request);
  });
  const messages: string[] = [];
  try {
    const { sleep, waits } = instantSleep();
    const tracker = new WandbTracker(
      { apiKey: KEY, project: "p", baseUrl: server.url },
      { sleep, random: () => 0, log: (m) => messages.push(m) },
    );
    await tracker.experimentCreated(info); // GraphQL error: dropped, retried at the next event
    await tracker.epochEnded(epoch(0)); // 500, then created; stream 429, then sent
    assert.deepEqual(tracker.dropped.map((d) => d.event), ["run creation"]);
    assert.match(tracker.dropped[0].reason, /project not found/);
    assert.deepEqual(waits, [250, 3000]);
    assert.equal(server.requests.length, 5);
    assert.match(server.requests.at(-1)!.path, /file_stream$/);
  } finally {
    await server.close();
  }
});

Deno.test("W&B: down, slow or failing servers never stop training", async () => {
  const down = await refusedUrl();
  const slow = startFakeServer(() => "hang");
  const failing = startFakeServer(() => new Response("no", { status: 502 }), { maxRequests: 30 });
  const messages: string[] = [];
  try {
    for (const url of [down, slow.url, failing.url]) {
      const tracker = new WandbTracker({ apiKey: KEY, project: "p", baseUrl: url }, {
        sleep: instantSleep().sleep,
        retry: { maxAttempts: 2, timeoutMs: 100 },
        log: (m) => messages.push(m),
      });
      await tracker.experimentCreated(info);
      await tracker.epochEnded(epoch(0));
      await tracker.completed({ epochsCompleted: 1, durationSeconds: 1, finishedAt: "x" });
      assert.deepEqual(tracker.dropped.map((d) => d.event), [
        "run creation",
        "run creation",
        "epoch 0 history",
        "run creation",
        "final state finished",
      ]);
    }
    assert.ok(failing.requests.length <= 2 + 2, "degraded after the first failure");
    assert.ok(messages.every((m) => !m.includes(KEY)));
    assert.ok(messages.some((m) => /W&B tracker dropped 5 event\(s\)/.test(m)));
  } finally {
    await slow.close();
    await failing.close();
  }
});

Deno.test("wandbRunId keeps ids URL-safe", () => {
  assert.equal(wandbRunId("Task 04/unet:fold_0"), "Task-04-unet-fold_0");
  assert.equal(wandbRunId("x".repeat(80)).length, 64);
});
