import assert from "node:assert/strict";
import { formatDuration, renderHtmlReport } from "../../../training/report/html_report.ts";
import type { EpochRecord, ExperimentInfo } from "../../../training/trackers/tracker.ts";

const info: ExperimentInfo = {
  experimentId: "e<1>",
  name: "Spleen",
  trainerName: "Trainer",
  modelName: "UNet",
  config: { note: "</pre><script>" },
  startedAt: "2025-01-01T00:00:00.000Z",
  classNames: ["spleen"],
};

const records: EpochRecord[] = [0, 1, 2].map((epoch) => ({
  epoch,
  trainLoss: 1 - epoch * 0.1,
  validationLoss: 1.1 - epoch * 0.1,
  pseudoDice: [0.5 + epoch * 0.1],
  meanPseudoDice: 0.5 + epoch * 0.1,
  emaPseudoDice: 0.4 + epoch * 0.1,
  learningRate: 0.01,
  epochSeconds: 40,
  bestScore: 0.4 + Math.min(epoch, 1) * 0.1,
  bestEpoch: Math.min(epoch, 1),
}));

Deno.test("formatDuration", () => {
  assert.equal(formatDuration(12.34), "12.3 s");
  assert.equal(formatDuration(200), "3 min 20 s");
  assert.equal(formatDuration(3720), "1 h 02 min");
});

Deno.test("the report shows facts, best and latest metrics, prediction and escapes text", () => {
  const html = renderHtmlReport({
    info,
    records,
    status: "running",
    prediction: { finalScore: 0.8765, convergenceEpoch: 41 },
    chartSvg: '<svg id="chart"></svg>',
    updatedAt: "2025-01-01T00:02:00.000Z",
  });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.ok(html.includes('<meta http-equiv="refresh" content="60">'));
  assert.ok(html.includes("<td>e&lt;1&gt;</td>"));
  assert.ok(!html.includes("<script>"), "config text is escaped");
  assert.ok(html.includes('<th class="number">Best (epoch 2)</th>'));
  assert.ok(html.includes('<th class="number">Latest (epoch 3)</th>'));
  assert.ok(
    html.includes(
      '<tr><td>Mean pseudo-Dice</td><td class="number">0.6000</td><td class="number">0.7000</td></tr>',
    ),
  );
  assert.ok(html.includes("<strong>0.8765</strong>, reached around epoch <strong>42</strong>"));
  assert.ok(html.includes("<th>Training time</th>"));
  assert.ok(html.includes("2 min 00 s"));
  assert.ok(html.includes('<svg id="chart"></svg>'));
  assert.ok(html.includes("<td>spleen</td>"));
});

Deno.test("a report before any epoch says so", () => {
  const html = renderHtmlReport({
    info,
    records: [],
    status: "running",
    chartSvg: "<svg></svg>",
    updatedAt: "now",
  });
  assert.ok(html.includes("No prediction of the final score yet."));
  assert.ok(html.includes("Best score: <strong>–</strong>"));
});
