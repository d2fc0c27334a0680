/**
 * `deno task train --data DIR [--fold K|all] [--bundle unet] [--out DIR] …`: trains one
 * fold of a dataset with a bundle, then validates it with the sliding-window predictor.
 *
 * @module
 */

import { getGpu } from "../core/mod.ts";
import { bundleNames } from "../bundles/mod.ts";
import { trainFold, type TrainFoldOptions } from "../pipeline/mod.ts";
import {
  finiteNumber,
  numberList,
  OptionValueError,
  parseCommandLine,
  positiveInteger,
} from "./cli.ts";

type Triple = [number, number, number];

const USAGE = `Train a segmentation model on one cross-validation fold.

Usage: deno task train --data DIR [options]

  --data DIR            dataset folder (MSD/nnU-Net layout with dataset.json, or images/ + labels/)
  --fold K|all          fold of the seeded split (0-4 of 5 unless preprocess chose other
                        --folds), or all cases (default 0)
  --bundle NAME         model bundle: ${bundleNames().join(", ")} (default unet)
  --out DIR             results root (default runs)
  --epochs N            epochs (default 1000)
  --iterations N        training iterations per epoch (default 250)
  --val-iterations N    validation batches per epoch (default 50)
  --batch-size N        patches per batch (default 2)
  --patch D,H,W         patch size (default: planned from the dataset and adapter)
  --lr X                initial learning rate (default 0.01)
  --base-features N     feature channels of the first stage (default 32; 16 on a CPU adapter)
  --max-features N      cap on feature channels (default 320; 128 on a CPU adapter)
  --memory-budget GIB   memory a training step may use; the planned patch shrinks to fit
                        (default 8; 4 on a CPU adapter)
  --seed N              random seed (default 0)
  --continue            resume from the latest checkpoint in the experiment folder
  --patience N          stop after N epochs without an EMA pseudo-Dice gain above
                        --min-delta (default: train every epoch)
  --min-delta X         gain that resets the patience (default 0.0001)
  --local-only          report to the local tracker only, even when MLflow, W&B or
                        Notion settings are configured
  --no-validation       skip the final sliding-window validation
  --quiet               one line per epoch, no progress bar (for CI logs)
  -h, --help            show this help
`;

/** Runs the train CLI; returns the exit code. */
export async function trainMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      data: { type: "string" },
      fold: { type: "string", default: "0" },
      bundle: { type: "string", default: "unet" },
      out: { type: "string", default: "runs" },
      epochs: { type: "string" },
      iterations: { type: "string" },
      "val-iterations": { type: "string" },
      "batch-size": { type: "string" },
      patch: { type: "string" },
      lr: { type: "string" },
      "base-features": { type: "string" },
      "max-features": { type: "string" },
      "memory-budget": { type: "string" },
      seed: { type: "string" },
      continue: { type: "boolean" },
      patience: { type: "string" },
      "min-delta": { type: "string" },
      "local-only": { type: "boolean" },
      "no-validation": { type: "boolean" },
      quiet: { type: "boolean" },
    },
    USAGE,
    { required: ["data"] },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  let settings: TrainFoldOptions;
  try {
    const fold = values.fold === "all" ? "all" : Number(values.fold);
    if (fold !== "all" && !(Number.isInteger(fold) && fold >= 0)) {
      throw new OptionValueError(`--fold needs 0-4 or "all", got "${values.fold}"`);
    }
    settings = {
      data: values.data!,
      output: values.out,
      fold,
      bundle: values.bundle,
      epochs: positiveInteger("epochs", values.epochs),
      iterationsPerEpoch: positiveInteger("iterations", values.iterations),
      validationIterations: positiveInteger("val-iterations", values["val-iterations"]),
      batchSize: positiveInteger("batch-size", values["batch-size"]),
      patchSize: numberList("patch", values.patch, 3, true) as Triple | undefined,
      learningRate: finiteNumber("lr", values.lr),
      baseFeatures: positiveInteger("base-features", values["base-features"]),
      maxFeatures: positiveInteger("max-features", values["max-features"]),
      memoryBudgetGiB: positiveNumber("memory-budget", values["memory-budget"]),
      seed: finiteNumber("seed", values.seed),
      continueTraining: values.continue,
      skipValidation: values["no-validation"],
      quiet: values.quiet,
      earlyStoppingPatience: positiveInteger("patience", values.patience),
      earlyStoppingMinDelta: nonNegative("min-delta", values["min-delta"]),
      remoteTrackers: !values["local-only"],
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    await getGpu();
    const result = await trainFold(settings);
    if (result.validation) {
      const v = result.validation;
      console.log("\nvalidation Dice (sliding window):");
      for (const label of v.labels) {
        console.log(`  class ${label}: ${v.perClass[String(label)].mean.dice.toFixed(4)}`);
      }
      console.log(`  mean foreground: ${v.foregroundMean.dice.toFixed(4)}`);
    }
    console.log(`results: ${result.experimentDir}`);
    return 0;
  } catch (error) {
    console.error(`train: ${(error as Error).message}`);
    return 1;
  }
}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  const n = finiteNumber(name, value);
  if (n !== undefined && !(n > 0)) throw new OptionValueError(`--${name} must be > 0, got ${n}`);
  return n;
}

function nonNegative(name: string, value: string | undefined): number | undefined {
  const n = finiteNumber(name, value);
  if (n !== undefined && n < 0) throw new OptionValueError(`--${name} must be ≥ 0, got ${n}`);
  return n;
}

if (import.meta.main) Deno.exit(await trainMain(Deno.args));
