import assert from "node:assert/strict";
import { LocalTracker, TrackerStateError } from "../../../training/trackers/local_tracker.ts";
import { parseMetricsCsv } from "../../../training/trackers/metrics_csv.ts";
import type { EpochRecord, ExperimentInfo } from "../../../training/trackers/tracker.ts";
import { decodePng } from "../report/png_decode.ts";

const info: ExperimentInfo = {
  experimentId: "task001-fold0",
  name: "Liver <fold 0>",
  trainerName: "UNetTrainer",
  modelName: "UNet3d",
  bundleName: "unet",
  config: { epochs: 20, learningRate: 0.01, patch: [64, 64, 64] },
  fold: 0,
  startedAt: "2025-01-01T00:00:00.000Z",
  classNames: ["liver", "tumour"],
};

function epochRecord(epoch: number): EpochRecord {
  const dice = [0.9 * (epoch + 1) / (epoch + 3), 0.7 * (epoch + 1) / (epoch + 4)];
  const mean = (dice[0] + dice[1]) / 2;
  return {
    epoch,
    trainLoss: 1 / (epoch + 1),
    validationLoss: 1.1 / (epoch + 1),
    pseudoDice: dice,
    meanPseudoDice: mean,
    emaPseudoDice: mean * 0.98,
    learningRate: 0.01 * (1 - epoch / 20),
    epochSeconds: 12.5,
    bestScore: mean * 0.98,
    bestEpoch: epoch,
  };
}

const options = { pngScale: 1, now: () => new Date("2025-01-01T01:00:00.000Z") };

async function listFolder(folder: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  return names.sort();
}

Deno.test("the local tracker writes config, metrics, charts and report atomically", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const tracker = new LocalTracker(`${folder}/run`, { ...options, minEpochsForPrediction: 5 });
    await assert.rejects(() => tracker.epochEnded(epochRecord(0)), TrackerStateError);
    await tracker.experimentCreated(info);
    const config = JSON.parse(await Deno.readTextFile(`${folder}/run/config.json`));
    assert.deepEqual(config, info);
    const inodes = new Map<string, number | null>();
    for (const name of ["report.html", "progress.svg", "progress.png"]) {
      inodes.set(name, (await Deno.stat(`${folder}/run/${name}`)).ino);
    }
    for (let epoch = 0; epoch < 6; epoch++) await tracker.epochEnded(epochRecord(epoch));
    // Each write renames a fresh file over the old one, so the inode changes and no
    // temporary files stay behind.
    for (const [name, inode] of inodes) {
      const now = (await Deno.stat(`${folder}/run/${name}`)).ino;
      if (inode !== null) assert.notEqual(now, inode, `${name} was replaced, not rewritten`);
    }
    assert.deepEqual(await listFolder(`${folder}/run`), [
      "config.json",
      "metrics.csv",
      "progress.png",
      "progress.svg",
      "report.html",
    ]);
    const csv = await Deno.readTextFile(`${folder}/run/metrics.csv`);
    const lines = csv.trimEnd().split("\n");
    assert.equal(lines.length, 7);
    assert.ok(lines[0].endsWith("pseudo_dice_liver,pseudo_dice_tumour"));
    assert.deepEqual(
      parseMetricsCsv(csv).records,
      Array.from({ length: 6 }, (_, e) => epochRecord(e)),
    );

    const png = decodePng(await Deno.readFile(`${folder}/run/progress.png`));
    assert.equal(png.width, 800);
    assert.equal(png.pixel(1, 1), "#ffffff");
    const svg = await Deno.readTextFile(`${folder}/run/progress.svg`);
    assert.ok(svg.includes(">predicted final</text>"), "prediction drawn after 5 epochs");

    const html = await Deno.readTextFile(`${folder}/run/report.html`);
    assert.ok(html.includes("Liver &lt;fold 0&gt;"));
    assert.ok(html.includes('<span class="status running">running</span>'));
    assert.ok(html.includes("<th>Metric</th>"));
    assert.ok(html.includes("<td>EMA pseudo-Dice</td>"));
    assert.ok(html.includes("<td>tumour</td>"));
    assert.ok(html.includes("Predicted final score"));
    assert.ok(html.includes(svg.trim()), "the SVG is inlined");
    assert.ok(html.includes("&quot;learningRate&quot;: 0.01"), "config shown");

    await tracker.completed({
      epochsCompleted: 6,
      bestEpoch: 5,
      bestScore: 0.6,
      finalMetrics: { dice: [0.91, 0.72] },
      durationSeconds: 150,
      finishedAt: "2025-01-01T00:02:30.000Z",
    });
    const finished = await Deno.readTextFile(`${folder}/run/report.html`);
    assert.ok(finished.includes('<span class="status completed">completed</span>'));
    assert.ok(finished.includes('<th class="number">Final dice</th>'));
    assert.ok(finished.includes('<td class="number">0.7200</td>'));
    assert.equal(JSON.parse(await Deno.readTextFile(`${folder}/run/summary.json`)).bestEpoch, 5);
    assert.ok(!(await listFolder(`${folder}/run`)).some((name) => name.endsWith(".tmp")));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("resuming continues metrics.csv without duplicating epochs", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const first = new LocalTracker(folder, { ...options, writePng: false });
    await first.experimentCreated(info);
    for (let epoch = 0; epoch < 6; epoch++) await first.epochEnded(epochRecord(epoch));
    // The run crashes; the last checkpoint was after epoch 3, so epochs 4 and 5 run again.
    const second = new LocalTracker(folder, { ...options, writePng: false });
    await second.experimentCreated(info);
    assert.equal(second.records.length, 6);
    for (let epoch = 4; epoch < 8; epoch++) await second.epochEnded(epochRecord(epoch));
    const csv = await Deno.readTextFile(`${folder}/metrics.csv`);
    const epochs = parseMetricsCsv(csv).records.map((record) => record.epoch);
    assert.deepEqual(epochs, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(csv.split("\n").filter((line) => line.startsWith("epoch,")).length, 1);
    await second.interrupted(new Error("out of memory"), {
      epochsCompleted: 8,
      durationSeconds: 100,
      finishedAt: "2025-01-01T00:01:40.000Z",
    });
    const html = await Deno.readTextFile(`${folder}/report.html`);
    assert.ok(html.includes('<span class="status interrupted">interrupted</span>'));
    assert.ok(html.includes("Stopped: Error: out of memory"));
    assert.ok(!html.includes('http-equiv="refresh"'), "a finished page does not reload");
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
