/**
 * The training-progress chart: losses, pseudo-Dice with its moving average, and the learning
 * rate, as three panels over the epochs.
 *
 * @module
 */

import type { EpochRecord } from "../trackers/tracker.ts";
import type { ChartReferenceLine, LineChartSpec } from "./line_chart.ts";

/** Colours of the training chart's curves. */
export const TRAINING_CHART_COLORS = {
  trainLoss: "#2563eb",
  validationLoss: "#dc2626",
  pseudoDice: "#86c99a",
  emaPseudoDice: "#15803d",
  predictedScore: "#7c3aed",
  learningRate: "#d97706",
} as const;

/** Settings of {@link trainingChartSpec}. */
export interface TrainingChartOptions {
  /** Title above the chart; none when absent. */
  title?: string;
  /** Predicted final score, drawn as a dashed line in the pseudo-Dice panel. */
  predictedFinalScore?: number;
  /** Width in chart pixels; default 800. */
  width?: number;
}

function orNaN(value: number | undefined): number {
  return value ?? NaN;
}

/**
 * The three-panel chart of `records`. Epochs are shown counted from 1.
 *
 * @example
 * ```ts
 * import { trainingChartSpec } from "./training_chart.ts";
 * import { layoutLineChart } from "./line_chart.ts";
 * import { renderChartSvg } from "./chart_svg.ts";
 * const svg = renderChartSvg(layoutLineChart(trainingChartSpec([
 *   { epoch: 0, trainLoss: 0.9, learningRate: 0.01, epochSeconds: 30 },
 * ])));
 * ```
 */
export function trainingChartSpec(
  records: readonly EpochRecord[],
  options: TrainingChartOptions = {},
): LineChartSpec {
  const colors = TRAINING_CHART_COLORS;
  const series = (pick: (record: EpochRecord) => number | undefined) =>
    records.map((record) => [record.epoch + 1, orNaN(pick(record))] as const);
  const references: ChartReferenceLine[] = options.predictedFinalScore !== undefined &&
      Number.isFinite(options.predictedFinalScore)
    ? [{
      value: options.predictedFinalScore,
      label: "predicted final",
      color: colors.predictedScore,
    }]
    : [];
  return {
    title: options.title,
    width: options.width,
    xLabel: "Epoch",
    panels: [
      {
        title: "Loss",
        yLabel: "Loss",
        series: [
          { label: "train", color: colors.trainLoss, points: series((r) => r.trainLoss) },
          {
            label: "validation",
            color: colors.validationLoss,
            points: series((r) => r.validationLoss),
          },
        ],
      },
      {
        title: "Pseudo-Dice",
        yLabel: "Dice",
        series: [
          {
            label: "pseudo-Dice",
            color: colors.pseudoDice,
            width: 1.5,
            points: series((r) => r.meanPseudoDice),
          },
          {
            label: "EMA pseudo-Dice",
            color: colors.emaPseudoDice,
            width: 2.5,
            points: series((r) => r.emaPseudoDice),
          },
        ],
        referenceLines: references,
      },
      {
        title: "Learning rate",
        yLabel: "LR",
        series: [{
          label: "learning rate",
          color: colors.learningRate,
          points: series((r) => r.learningRate),
        }],
      },
    ],
  };
}
