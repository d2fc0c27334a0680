/**
 * `deno task train --data DIR [--fold K|all] [--bundle unet] [--out DIR] …`: trains one
 * fold of a dataset with a bundle, then validates it with the sliding-window predictor.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { getGpu } from "../core/mod.ts";
import { bundleNames } from "../bundles/mod.ts";
import { trainFold } from "../pipeline/mod.ts";

const USAGE = `Train a segmentation model on one cross-validation fold.

Usage: deno task train --data DIR [options]

  --data DIR            dataset folder (MSD/nnU-Net layout with dataset.json, or images/ + labels/)
  --fold K|all          fold 0-4 of a seeded 5-fold split, or all cases (default 0)
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
  --seed N              random seed (default 0)
  --continue            resume from the latest checkpoint in the experiment folder
  --no-validation       skip the final sliding-window validation
  --quiet               one line per epoch (for CI logs)
  -h, --help            show this help
`;

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`--${name} needs a positive integer, got "${value}"`);
  }
  return n;
}

/** Runs the train CLI; returns the exit code. */
export async function trainMain(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        help: { type: "boolean", short: "h" },
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
        seed: { type: "string" },
        continue: { type: "boolean" },
        "no-validation": { type: "boolean" },
        quiet: { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.data) {
    console.error(`--data is required\n\n${USAGE}`);
    return 2;
  }
  try {
    const fold = values.fold === "all" ? "all" : Number(values.fold);
    if (fold !== "all" && !(Number.isInteger(fold) && fold >= 0)) {
      throw new Error(`--fold needs 0-4 or "all", got "${values.fold}"`);
    }
    const patch = values.patch?.split(",").map(Number);
    if (patch && (patch.length !== 3 || patch.some((p) => !Number.isInteger(p) || p <= 0))) {
      throw new Error(`--patch needs D,H,W positive integers, got "${values.patch}"`);
    }
    await getGpu();
    const result = await trainFold({
      data: values.data,
      output: values.out,
      fold,
      bundle: values.bundle,
      epochs: positiveInteger("epochs", values.epochs),
      iterationsPerEpoch: positiveInteger("iterations", values.iterations),
      validationIterations: positiveInteger("val-iterations", values["val-iterations"]),
      batchSize: positiveInteger("batch-size", values["batch-size"]),
      patchSize: patch as [number, number, number] | undefined,
      learningRate: values.lr === undefined ? undefined : Number(values.lr),
      baseFeatures: positiveInteger("base-features", values["base-features"]),
      maxFeatures: positiveInteger("max-features", values["max-features"]),
      seed: values.seed === undefined ? undefined : Number(values.seed),
      continueTraining: values.continue,
      skipValidation: values["no-validation"],
      quiet: values.quiet,
    });
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

if (import.meta.main) Deno.exit(await trainMain(Deno.args));
