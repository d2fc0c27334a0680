import assert from "node:assert/strict";
import {
  formatTick,
  layoutLineChart,
  niceStep,
  ticksBetween,
} from "../../../training/report/line_chart.ts";
import { renderChartSvg } from "../../../training/report/chart_svg.ts";
import { dashPolyline } from "../../../training/report/raster.ts";
import { trainingChartSpec } from "../../../training/report/training_chart.ts";
import type { EpochRecord } from "../../../training/trackers/tracker.ts";

Deno.test("niceStep, ticksBetween and formatTick give readable axes", () => {
  assert.equal(niceStep(0.23), 0.2);
  assert.equal(niceStep(4.1), 5);
  assert.equal(niceStep(0.0009), 0.001);
  assert.deepEqual(ticksBetween(0, 1, 0.2), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticksBetween(1, 50, 10), [10, 20, 30, 40, 50]);
  assert.equal(formatTick(0.6000000001, 0.2), "0.6");
  assert.equal(formatTick(0.25, 0.05), "0.25");
  assert.equal(formatTick(20, 10), "20");
  assert.equal(formatTick(0.0002, 0.0001), "2e-4");
  assert.equal(formatTick(0.00025, 0.00005), "2.5e-4");
  assert.equal(formatTick(0.00015, 0.00005), "1.5e-4");
  assert.equal(formatTick(0.0001, 0.00005), "1e-4");
  assert.equal(formatTick(250000, 50000), "2.5e5");
  assert.equal(formatTick(0, 0.0001), "0");
});

Deno.test("dashPolyline splits a line into dashes of the pattern's lengths", () => {
  const dashes = dashPolyline([[0, 0], [10, 0], [20, 0]], [4, 2]);
  assert.deepEqual(
    dashes.map((dash) => [dash[0][0], dash.at(-1)![0]]),
    [[0, 4], [6, 10], [12, 16], [18, 20]],
  );
});

function history(count: number): EpochRecord[] {
  return Array.from({ length: count }, (_, epoch) => ({
    epoch,
    trainLoss: 1 / (epoch + 1),
    validationLoss: epoch === 3 ? undefined : 1.2 / (epoch + 1),
    meanPseudoDice: epoch / (epoch + 3),
    emaPseudoDice: epoch / (epoch + 5),
    learningRate: 0.01 * (1 - epoch / count),
    epochSeconds: 2,
  }));
}

Deno.test("the training chart SVG has three panels, curves, legend and axis labels", () => {
  const svg = renderChartSvg(
    layoutLineChart(trainingChartSpec(history(8), { predictedFinalScore: 0.9, title: "A & B" })),
  );
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  for (const label of ["Loss", "Pseudo-Dice", "Learning rate", "Epoch", "train", "validation"]) {
    assert.ok(svg.includes(`>${label}</text>`), `label ${label}`);
  }
  assert.ok(svg.includes(">EMA pseudo-Dice</text>"));
  assert.ok(svg.includes(">predicted final</text>"));
  assert.ok(svg.includes(">A &amp; B</text>"), "title escaped");
  assert.ok(svg.includes('transform="rotate(-90'), "vertical y-axis titles");
  // The validation curve has a gap at epoch 4, so it is drawn as two polylines.
  const validationCurves = [...svg.matchAll(/<polyline points="([^"]+)"[^>]*stroke="#dc2626"/g)];
  const vertexCounts = validationCurves.map((match) => match[1].split(" ").length);
  assert.deepEqual(vertexCounts, [2, 3, 4], "legend sample, then epochs 1–3 and 5–8");
  const trainCurve = [...svg.matchAll(/<polyline points="([^"]+)"[^>]*stroke="#2563eb"/g)].at(-1)!;
  assert.equal(trainCurve[1].split(" ").length, 8);
  assert.ok(/stroke="#7c3aed"[^>]*stroke-dasharray="6 4"/.test(svg), "dashed prediction line");
  for (const tick of [">2</text>", ">8</text>", ">0.010</text>"]) {
    assert.ok(svg.includes(tick), `tick ${tick}`);
  }
});

Deno.test("a chart with no data still lays out", () => {
  const svg = renderChartSvg(layoutLineChart(trainingChartSpec([])));
  assert.ok(svg.includes(">Loss</text>"));
  const single = renderChartSvg(layoutLineChart(trainingChartSpec(history(1))));
  // One epoch is a dot: a polyline whose two vertices coincide.
  assert.ok(/<polyline points="([\d.]+,[\d.]+) \1"/.test(single));
});
