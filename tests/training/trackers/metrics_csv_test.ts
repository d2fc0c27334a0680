import assert from "node:assert/strict";
import {
  classNamesFromHeader,
  formatMetricsRow,
  MetricsCsvError,
  metricsCsvHeader,
  parseMetricsCsv,
} from "../../../training/trackers/metrics_csv.ts";
import type { EpochRecord } from "../../../training/trackers/tracker.ts";

const record: EpochRecord = {
  epoch: 4,
  trainLoss: -0.5,
  validationLoss: -0.4,
  pseudoDice: [0.8, 0.6],
  meanPseudoDice: 0.7,
  emaPseudoDice: 0.65,
  learningRate: 0.009,
  epochSeconds: 31.5,
  bestScore: 0.65,
  bestEpoch: 4,
};

Deno.test("metrics rows round-trip through the CSV text", () => {
  const header = metricsCsvHeader(["liver", "liver tumour"]);
  assert.deepEqual(header.slice(-2), ["pseudo_dice_liver", "pseudo_dice_liver_tumour"]);
  const row = formatMetricsRow(record, 2);
  assert.equal(row, "4,-0.5,-0.4,0.7,0.65,0.009,31.5,0.65,4,,,0.8,0.6");
  const noValidation: EpochRecord = {
    epoch: 5,
    trainLoss: 0.1,
    learningRate: 0.1,
    epochSeconds: 1,
  };
  const text = [header.join(","), row, formatMetricsRow(noValidation, 2)].join("\n") + "\n";
  const parsed = parseMetricsCsv(text);
  assert.deepEqual(parsed.records, [record, noValidation]);
  assert.deepEqual(classNamesFromHeader(parsed.header), ["liver", "liver_tumour"]);
});

Deno.test("a torn last line is dropped and bad files are refused", () => {
  const header = metricsCsvHeader(["a"]).join(",");
  const torn = `${header}\n${formatMetricsRow({ ...record, pseudoDice: [0.8] }, 1)}\n5,0.3`;
  assert.equal(parseMetricsCsv(torn).records.length, 1);
  assert.throws(() => parseMetricsCsv("time,loss\n1,2\n"), MetricsCsvError);
  assert.throws(() => formatMetricsRow(record, 3), MetricsCsvError);
  assert.deepEqual(parseMetricsCsv(""), { header: [], records: [] });
});
