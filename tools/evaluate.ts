/**
 * Command line: evaluate a folder of predicted label maps against a folder of references.
 *
 * ```sh
 * deno task evaluate --pred predictions/ --ref labelsTs/ [--out metrics.json] [--labels 1,2]
 * ```
 *
 * @module
 */

import { evaluateFolders } from "../evaluation/evaluate_folders.ts";
import { parseCommandLine } from "./cli.ts";

const USAGE = `Evaluate predicted label maps against references (Dice, IoU, precision, recall,
volume difference, HD95, HD, ASSD, NSD; distances in mm with the files' voxel spacing).

Usage: deno task evaluate --pred DIR --ref DIR [options]

  --pred DIR             folder of predicted label maps (.nii.gz, .nii, .mha, .mhd, .nrrd, .nhdr)
  --ref DIR              folder of reference label maps; files pair up by name without extension
  --out FILE             JSON report path (default: DIR of --pred/metrics.json); the CSV table
                         is written beside it with a .csv extension
  --labels 1,2           class labels to evaluate (default: every non-zero label found)
  --nsd-tolerance MM     normalised-surface-Dice tolerance in mm (default 1)
  --both-empty-score X   Dice/IoU/precision/recall/NSD when a class is absent from both
                         (default NaN, as nnU-Net; 1 rewards predicting absence)
  --skip-missing         evaluate the cases that have predictions instead of failing
  -h, --help             show this help

Undefined values (e.g. HD95 with an empty mask) are NaN: "NaN" in the CSV, null in the JSON,
and left out of the means.`;

function parseLabels(text: string): number[] {
  const labels = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
  const numbers = labels.map(Number);
  if (numbers.length === 0 || !numbers.every(Number.isInteger)) {
    throw new RangeError(`--labels wants comma-separated integers like 1,2, got "${text}"`);
  }
  return numbers;
}

function parseNumber(name: string, text: string): number {
  const value = text.trim().toLowerCase() === "nan" ? NaN : Number(text);
  if (text.trim() === "" || (Number.isNaN(value) && text.trim().toLowerCase() !== "nan")) {
    throw new RangeError(`--${name} wants a number, got "${text}"`);
  }
  return value;
}

function formatMetric(value: number, digits: number): string {
  return Number.isNaN(value) ? "NaN" : value.toFixed(digits);
}

async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      pred: { type: "string" },
      ref: { type: "string" },
      out: { type: "string" },
      labels: { type: "string" },
      "nsd-tolerance": { type: "string" },
      "both-empty-score": { type: "string" },
      "skip-missing": { type: "boolean", default: false },
    },
    USAGE,
    { required: ["pred", "ref"] },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const { report, jsonPath, csvPath, missingPredictions, predictionsWithoutReference } =
    await evaluateFolders(values.pred!, values.ref!, {
      jsonPath: values.out,
      labels: values.labels === undefined ? undefined : parseLabels(values.labels),
      nsdToleranceMm: values["nsd-tolerance"] === undefined
        ? undefined
        : parseNumber("nsd-tolerance", values["nsd-tolerance"]),
      emptyMasks: values["both-empty-score"] === undefined
        ? undefined
        : { bothEmptyScore: parseNumber("both-empty-score", values["both-empty-score"]) },
      skipMissingPredictions: values["skip-missing"],
      onCaseEvaluated: (metrics, done) => {
        const dice = Object.entries(metrics.classes)
          .map(([label, classMetrics]) => `${label}: ${formatMetric(classMetrics.dice, 4)}`)
          .join("  ");
        console.error(`[${done}] ${metrics.caseId}  Dice ${dice}`);
      },
    });
  if (missingPredictions.length > 0) {
    console.error(
      `Skipped ${missingPredictions.length} case(s) without a prediction: ` +
        missingPredictions.join(", "),
    );
  }
  if (predictionsWithoutReference.length > 0) {
    console.error(
      `Ignored ${predictionsWithoutReference.length} prediction(s) without a ` +
        `reference: ${predictionsWithoutReference.join(", ")}`,
    );
  }
  console.log("label  cases  Dice    HD95 mm  ASSD mm  NSD");
  for (const label of report.labels) {
    const { mean, validCases } = report.perClass[String(label)];
    console.log(
      [
        String(label).padEnd(5),
        String(validCases.dice).padStart(5),
        formatMetric(mean.dice, 4).padStart(6),
        formatMetric(mean.hd95Mm, 2).padStart(8),
        formatMetric(mean.assdMm, 2).padStart(8),
        formatMetric(mean.nsd, 4).padStart(6),
      ].join("  "),
    );
  }
  console.log(`mean   Dice ${formatMetric(report.foregroundMean.dice, 4)}`);
  console.log(`Wrote ${jsonPath} and ${csvPath}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`evaluate: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
