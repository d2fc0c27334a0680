import assert from "node:assert/strict";
import {
  MLFLOW_PARAM_VALUE_LIMIT,
  MlflowTracker,
  proxiedArtifactPath,
} from "../../../training/trackers/mlflow_tracker.ts";
import type { ExperimentInfo } from "../../../training/trackers/tracker.ts";
import {
  instantSleep,
  json,
  jsonOf,
  type RecordedRequest,
  refusedUrl,
  startFakeServer,
} from "./fake_servers.ts";

const TOKEN = "mlflow-secret-token-123";
const API = "/api/2.0/mlflow";
const NOW = Date.parse("2025-03-01T12:00:00.000Z");

const info: ExperimentInfo = {
  experimentId: "Task04-unet-fold_0",
  name: "Task04 unet fold 0",
  trainerName: "Trainer",
  modelName: "unet",
  bundleName: "unet",
  config: { epochs: 2, optimizer: { lr: 0.01, momentum: 0.99 }, notes: "x".repeat(600) },
  fold: 0,
  startedAt: "2025-03-01T10:00:00.000Z",
  classNames: ["anterior", "posterior"],
};

function epoch(index: number) {
  return {
    epoch: index,
    trainLoss: 1 - index * 0.1,
    validationLoss: 0.9 - index * 0.1,
    pseudoDice: [0.5 + index * 0.1, 0.4],
    meanPseudoDice: 0.45 + index * 0.05,
    emaPseudoDice: 0.4,
    learningRate: 0.01,
    epochSeconds: 3,
    bestScore: 0.4,
    bestEpoch: index,
  };
}

/** Answers like an MLflow server with proxied artifacts and no experiment yet. */
function mlflowHandler(artifactUri = "mlflow-artifacts:/7/run1/artifacts") {
  return (request: RecordedRequest): Response => {
    switch (`${request.method} ${request.path}`) {
      case `GET ${API}/experiments/get-by-name`:
        return json({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" }, 404);
      case `POST ${API}/experiments/create`:
        return json({ experiment_id: "7" });
      case `POST ${API}/runs/create`:
        return json({
          run: { info: { run_id: "run1", experiment_id: "7", artifact_uri: artifactUri } },
        });
      case `POST ${API}/runs/log-batch`:
      case `POST ${API}/runs/update`:
        return json({});
    }
    if (request.method === "PUT" && request.path.startsWith("/api/2.0/mlflow-artifacts/")) {
      return json({});
    }
    return json({ error_code: "ENDPOINT_NOT_FOUND" }, 404);
  };
}

Deno.test("MLflow: a full lifecycle sends the documented requests", async () => {
  const server = startFakeServer(mlflowHandler());
  const messages: string[] = [];
  try {
    const tracker = new MlflowTracker({ trackingUri: server.url, token: TOKEN }, {
      now: () => NOW,
      log: (m) => messages.push(m),
      sleep: instantSleep().sleep,
    });
    await tracker.experimentCreated(info);
    await tracker.epochEnded(epoch(0));
    await tracker.epochEnded(epoch(1));
    await tracker.completed({
      epochsCompleted: 2,
      bestEpoch: 1,
      bestScore: 0.5,
      finalMetrics: { dice: [0.9, 0.8] },
      durationSeconds: 6,
      finishedAt: "2025-03-01T11:00:00.000Z",
    });
    const art = "/api/2.0/mlflow-artifacts/artifacts/7/run1/artifacts";
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
      `GET ${API}/experiments/get-by-name`,
      `POST ${API}/experiments/create`,
      `POST ${API}/runs/create`,
      `POST ${API}/runs/log-batch`,
      `POST ${API}/runs/log-batch`,
      `POST ${API}/runs/log-batch`,
      `POST ${API}/runs/log-batch`,
      `PUT ${art}/report.html`,
      `PUT ${art}/progress.svg`,
      `PUT ${art}/progress.png`,
      `POST ${API}/runs/update`,
    ]);
    for (const request of server.requests) {
      assert.equal(request.headers.get("authorization"), `Bearer ${TOKEN}`);
    }
    const [getByName, create, runCreate, params, epoch0, epoch1, final] = server.requests;
    assert.equal(getByName.query.get("experiment_name"), "mipcandy");
    assert.equal(create.headers.get("content-type"), "application/json");
    assert.deepEqual(jsonOf(create), { name: "mipcandy" });
    const run = jsonOf(runCreate) as {
      experiment_id: string;
      run_name: string;
      start_time: number;
      tags: { key: string; value: string }[];
    };
    assert.equal(run.experiment_id, "7");
    assert.equal(run.run_name, info.name);
    assert.equal(run.start_time, Date.parse(info.startedAt));
    const tags = Object.fromEntries(run.tags.map((t) => [t.key, t.value]));
    assert.equal(tags["mlflow.runName"], info.name);
    assert.equal(tags["mipcandy.experiment_id"], info.experimentId);
    assert.equal(tags["mipcandy.fold"], "0");

    const paramBody = jsonOf(params) as {
      run_id: string;
      params: { key: string; value: string }[];
    };
    assert.equal(paramBody.run_id, "run1");
    const paramMap = Object.fromEntries(paramBody.params.map((p) => [p.key, p.value]));
    assert.equal(paramMap["epochs"], "2");
    assert.equal(paramMap["optimizer.lr"], "0.01");
    assert.equal(paramMap["notes"].length, MLFLOW_PARAM_VALUE_LIMIT);
    assert.match(paramMap["notes"], /truncated from 600 chars\]$/);

    const metrics0 = (jsonOf(epoch0) as {
      metrics: { key: string; value: number; step: number; timestamp: number }[];
    }).metrics;
    const byKey = Object.fromEntries(metrics0.map((m) => [m.key, m]));
    assert.equal(byKey["train_loss"].value, 1);
    assert.equal(byKey["pseudo_dice/anterior"].value, 0.5);
    assert.equal(byKey["pseudo_dice/posterior"].value, 0.4);
    assert.ok(metrics0.every((m) => m.step === 0 && m.timestamp === NOW));
    assert.ok(
      (jsonOf(epoch1) as { metrics: { step: number }[] }).metrics.every((m) => m.step === 1),
    );
    const finalKeys = (jsonOf(final) as { metrics: { key: string }[] }).metrics.map((m) => m.key);
    assert.ok(finalKeys.includes("final/dice/anterior") && finalKeys.includes("best_score"));

    const [html, svg, png, update] = server.requests.slice(7);
    assert.match(html.headers.get("content-type")!, /^text\/html/);
    assert.match(html.text, /<html/i);
    assert.equal(svg.headers.get("content-type"), "image/svg+xml");
    assert.match(svg.text, /<svg/);
    assert.equal(png.headers.get("content-type"), "image/png");
    assert.deepEqual([...png.bytes.slice(1, 4)], [80, 78, 71]);
    assert.deepEqual(jsonOf(update), {
      run_id: "run1",
      status: "FINISHED",
      end_time: Date.parse("2025-03-01T11:00:00.000Z"),
    });
    assert.deepEqual(tracker.dropped, []);
    assert.deepEqual(messages, []);
  } finally {
    await server.close();
  }
});

Deno.test("MLflow: Basic auth, existing experiment, non-proxied artifacts skipped", async () => {
  const handler = mlflowHandler("s3://bucket/7/run1/artifacts");
  const server = startFakeServer((request) =>
    request.path.endsWith("get-by-name")
      ? json({ experiment: { experiment_id: "3", name: "mine" } })
      : handler(request)
  );
  const messages: string[] = [];
  try {
    const tracker = new MlflowTracker(
      { trackingUri: server.url, username: "ana", password: "pä ss", experimentName: "mine" },
      { log: (m) => messages.push(m), artifactPng: false },
    );
    await tracker.experimentCreated({ ...info, config: {} });
    await tracker.completed({ epochsCompleted: 0, durationSeconds: 1, finishedAt: "bad date" });
    const expected = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode("ana:pä ss")))}`;
    assert.ok(server.requests.every((r) => r.headers.get("authorization") === expected));
    assert.equal(server.requests[0].query.get("experiment_name"), "mine");
    assert.equal((jsonOf(server.requests[1]) as { experiment_id: string }).experiment_id, "3");
    assert.ok(!server.requests.some((r) => r.method === "PUT"));
    assert.ok(messages.some((m) => /artifacts skipped.*s3:/.test(m)));
  } finally {
    await server.close();
  }
});

Deno.test("MLflow: interruption ends the run FAILED or KILLED with the reason", async () => {
  for (const [error, status] of [[new Error("out of memory"), "FAILED"], ["SIGINT", "KILLED"]]) {
    const server = startFakeServer(mlflowHandler());
    try {
      const tracker = new MlflowTracker({ trackingUri: server.url }, {
        uploadArtifacts: false,
        log: () => {},
      });
      await tracker.experimentCreated({ ...info, config: {} });
      await tracker.interrupted(error);
      const update = server.requests.at(-1)!;
      assert.equal(update.path, `${API}/runs/update`);
      assert.equal((jsonOf(update) as { status: string }).status, status);
      assert.equal(update.headers.get("authorization"), null);
      const tagged = server.requests.find((r) => r.text.includes("mipcandy.interruption"));
      assert.ok(tagged !== undefined);
    } finally {
      await server.close();
    }
  }
});

Deno.test("MLflow: 500 then success and 429 with Retry-After are retried", async () => {
  let failures = 0;
  const handler = mlflowHandler();
  const server = startFakeServer((request) => {
    if (request.path.endsWith("runs/create") && failures === 0) {
      failures++;
      return new Response("unavailable", { status: 503 });
    }
    if (request.path.endsWith("log-batch") && failures === 1) {
      failures++;
      return new Response("", { status: 429, headers: { "Retry-After": "7" } });
    }
    return handler(request);
  });
  try {
    const { sleep, waits } = instantSleep();
    const tracker = new MlflowTracker({ trackingUri: server.url }, { sleep, log: () => {} });
    await tracker.experimentCreated({ ...info, config: { epochs: 1 } });
    await tracker.epochEnded(epoch(0));
    assert.equal(tracker.runId, "run1");
    assert.equal(waits.length, 2);
    assert.equal(waits[1], 7000);
    assert.deepEqual(tracker.dropped, []);
  } finally {
    await server.close();
  }
});

Deno.test("MLflow: a permanently failing server drops events, never throws", async () => {
  const server = startFakeServer(() => new Response("internal error", { status: 500 }), {
    maxRequests: 50,
  });
  const messages: string[] = [];
  try {
    const tracker = new MlflowTracker({ trackingUri: server.url, token: TOKEN }, {
      sleep: instantSleep().sleep,
      retry: { maxAttempts: 3 },
      log: (m) => messages.push(m),
    });
    await tracker.experimentCreated(info);
    for (let e = 0; e < 3; e++) await tracker.epochEnded(epoch(e));
    await tracker.completed({ epochsCompleted: 3, durationSeconds: 9, finishedAt: "x" });
    // 3 attempts for the first request, then one per request while degraded.
    assert.ok(server.requests.length <= 3 + 5, `${server.requests.length} requests`);
    const events = tracker.dropped.map((d) => d.event);
    assert.ok(events.includes("epoch 2 metrics"));
    assert.ok(events.includes("final status FINISHED"));
    assert.equal(messages.length, 2, messages.join("\n"));
    assert.match(messages[1], /MLflow tracker dropped \d+ event\(s\)/);
    assert.ok(messages.every((m) => !m.includes(TOKEN)));
  } finally {
    await server.close();
  }
});

Deno.test("MLflow: server down or never answering: training goes on", async () => {
  const down = await refusedUrl();
  const slow = startFakeServer(() => "hang");
  try {
    for (const url of [down, slow.url]) {
      const tracker = new MlflowTracker({ trackingUri: url }, {
        sleep: instantSleep().sleep,
        retry: { maxAttempts: 2, timeoutMs: 100 },
        log: () => {},
      });
      await tracker.experimentCreated(info);
      await tracker.epochEnded(epoch(0));
      await tracker.interrupted(new Error("stop"));
      assert.ok(tracker.dropped.length >= 3);
      assert.equal(tracker.runId, undefined);
    }
  } finally {
    await slow.close();
  }
});

Deno.test("proxiedArtifactPath understands both mlflow-artifacts URI forms", () => {
  assert.equal(proxiedArtifactPath("mlflow-artifacts:/1/abc/artifacts"), "1/abc/artifacts");
  assert.equal(
    proxiedArtifactPath("mlflow-artifacts://host:5000/1/abc/artifacts/"),
    "1/abc/artifacts",
  );
  assert.equal(proxiedArtifactPath("s3://bucket/1/abc"), undefined);
});
