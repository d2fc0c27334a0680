import assert from "node:assert/strict";
import { FanOutTracker } from "../../../training/trackers/fan_out_tracker.ts";
import type {
  EpochRecord,
  ExperimentInfo,
  ExperimentSummary,
  Tracker,
} from "../../../training/trackers/tracker.ts";

class RecordingTracker implements Tracker {
  events: string[] = [];
  experimentCreated(info: ExperimentInfo): Promise<void> {
    this.events.push(`created ${info.experimentId}`);
    return Promise.resolve();
  }
  epochEnded(record: EpochRecord): Promise<void> {
    this.events.push(`epoch ${record.epoch}`);
    return Promise.resolve();
  }
  completed(summary: ExperimentSummary): Promise<void> {
    this.events.push(`completed ${summary.epochsCompleted}`);
    return Promise.resolve();
  }
  interrupted(error: unknown): Promise<void> {
    this.events.push(`interrupted ${String(error)}`);
    return Promise.resolve();
  }
}

class BrokenTracker implements Tracker {
  calls = 0;
  experimentCreated(): Promise<void> {
    this.calls++;
    return Promise.reject(new Error("dashboard unreachable"));
  }
  epochEnded(): Promise<void> {
    this.calls++;
    // A synchronous throw from a non-async method must be caught too.
    throw new TypeError("bad payload");
  }
  completed(): Promise<void> {
    this.calls++;
    return Promise.reject(new Error("still down"));
  }
  interrupted(): Promise<void> {
    this.calls++;
    return Promise.resolve();
  }
}

const info: ExperimentInfo = {
  experimentId: "x1",
  name: "x",
  trainerName: "T",
  modelName: "M",
  config: {},
  startedAt: "2025-01-01T00:00:00.000Z",
};

Deno.test("a failing tracker is logged once and never stops the others", async () => {
  const [before, after] = [new RecordingTracker(), new RecordingTracker()];
  const broken = new BrokenTracker();
  const messages: string[] = [];
  const fanOut = new FanOutTracker([before, broken, after], { log: (m) => messages.push(m) });
  await fanOut.experimentCreated(info);
  for (let epoch = 0; epoch < 3; epoch++) {
    await fanOut.epochEnded({ epoch, trainLoss: 1, learningRate: 0.1, epochSeconds: 1 });
  }
  await fanOut.completed({ epochsCompleted: 3, durationSeconds: 3, finishedAt: "now" });
  await fanOut.interrupted("signal");
  const expected = [
    "created x1",
    "epoch 0",
    "epoch 1",
    "epoch 2",
    "completed 3",
    "interrupted signal",
  ];
  assert.deepEqual(before.events, expected);
  assert.deepEqual(after.events, expected);
  assert.equal(broken.calls, 6, "the broken tracker keeps receiving events");
  assert.deepEqual(fanOut.failureCounts, [0, 5, 0]);
  assert.equal(messages.length, 1);
  assert.match(messages[0], /Tracker 1 \(BrokenTracker\) failed in experimentCreated/);
  assert.match(messages[0], /dashboard unreachable/);
});
