import assert from "node:assert/strict";
import { configuredTrackers } from "../../../training/trackers/configured_trackers.ts";
import { FanOutTracker } from "../../../training/trackers/fan_out_tracker.ts";
import { LocalTracker } from "../../../training/trackers/local_tracker.ts";
import type { Tracker } from "../../../training/trackers/tracker.ts";
import { TrackerConfigError } from "../../../training/trackers/tracker_config.ts";

Deno.test("configured trackers: local alone without settings, remotes added when configured", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alone = await configuredTrackers(dir, { environment: {} });
    assert.deepEqual(alone.names, ["local"]);
    assert.ok(alone.tracker instanceof LocalTracker);

    const environment = {
      WANDB_API_KEY: "k3y",
      WANDB_PROJECT: "hippocampus",
      MLFLOW_TRACKING_URI: "http://127.0.0.1:5000",
      NOTION_TOKEN: "t0ken",
      NOTION_DATABASE_ID: "db",
    };
    const all = await configuredTrackers(dir, { environment });
    assert.deepEqual(all.names, ["local", "mlflow", "wandb", "notion"]);
    assert.ok(all.tracker instanceof FanOutTracker);

    const localOnly = await configuredTrackers(dir, { environment, remote: false });
    assert.deepEqual(localOnly.names, ["local"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configured trackers: extra trackers hear every event beside the local one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const events: string[] = [];
    class Recorder implements Tracker {
      experimentCreated() {
        events.push("created");
        return Promise.resolve();
      }
      epochEnded() {
        events.push("epoch");
        return Promise.resolve();
      }
      completed() {
        events.push("completed");
        return Promise.resolve();
      }
      interrupted() {
        events.push("interrupted");
        return Promise.resolve();
      }
    }
    const { tracker, names } = await configuredTrackers(dir, {
      environment: {},
      extra: [new Recorder()],
    });
    assert.deepEqual(names, ["local", "Recorder"]);
    await tracker.experimentCreated({
      experimentId: "x",
      name: "x",
      trainerName: "Trainer",
      modelName: "m",
      config: {},
      startedAt: new Date().toISOString(),
    });
    await tracker.interrupted("interrupted by SIGINT");
    assert.deepEqual(events, ["created", "interrupted"]);
    assert.ok(await Deno.stat(`${dir}/report.html`).then(() => true, () => false));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configured trackers: incomplete remote settings fail before training, naming the gap", async () => {
  await assert.rejects(
    configuredTrackers("unused", { environment: { WANDB_API_KEY: "k3y" } }),
    (error: unknown) => error instanceof TrackerConfigError && /WANDB_PROJECT/.test(error.message),
  );
});
