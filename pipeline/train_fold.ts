/**
 * One training experiment on a dataset folder: prepare (cached), plan the network for
 * this adapter, train a fold with the bundle's network (resumable), track it locally, then
 * validate the fold's cases with the sliding-window predictor and the evaluator.
 *
 * @module
 */

import { describeGpu, gpu, type Tensor } from "../core/mod.ts";
import { selectFold } from "../data/splits/mod.ts";
import { getBundle } from "../bundles/mod.ts";
import type { UNetPlan } from "../bundles/unet/planner.ts";
import type { AnyModule } from "../layers/module.ts";
import type { EvaluationReport } from "../evaluation/mod.ts";
import {
  type EpochLog,
  type JsonValue,
  PatchBatchSource,
  ProgressBar,
  Trainer,
  type TrainingResult,
} from "../training/mod.ts";
import { configuredTrackers } from "../training/trackers/configured_trackers.ts";
import type { Tracker } from "../training/trackers/tracker.ts";
import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";
import { type NetworkPlanOptions, planNetwork } from "./network_plan.ts";
import { prepareDataset } from "./prepare_dataset.ts";
import { loadPatchCases } from "./training_cases.ts";
import { validateFold } from "./validate_fold.ts";

/** Settings of {@link trainFold}. */
export interface TrainFoldOptions extends NetworkPlanOptions {
  /** Dataset folder (MSD layout or images/ + labels/). */
  data: string;
  /** Results root; the dataset gets `<output>/<dataset name>/`. */
  output: string;
  /** Fold index or "all" (default 0). */
  fold?: number | "all";
  /** Bundle name (default "unet"). */
  bundle?: string;
  /** Epochs (default 1000). */
  epochs?: number;
  /** Iterations per epoch (default 250). */
  iterationsPerEpoch?: number;
  /** Validation batches per epoch (default 50). */
  validationIterations?: number;
  /** Patches per batch (default 2). */
  batchSize?: number;
  /** Initial learning rate (default 1e-2). */
  learningRate?: number;
  /** Random seed (default 0). */
  seed?: number;
  /** Resume from the latest checkpoint when present. */
  continueTraining?: boolean;
  /** Print one line per epoch and no progress bar (CI logs). */
  quiet?: boolean;
  /** Stop after this many epochs without an EMA pseudo-Dice gain above the min delta. */
  earlyStoppingPatience?: number;
  /** Gain that resets the early-stopping patience (default 1e-4). */
  earlyStoppingMinDelta?: number;
  /**
   * Report to MLflow / W&B / Notion too when their settings are configured (default true);
   * the local tracker always runs.
   */
  remoteTrackers?: boolean;
  /** Further trackers to report to. */
  trackers?: readonly Tracker[];
  /** Skip the final sliding-window validation. */
  skipValidation?: boolean;
  /** Patch size override (D, H, W). */
  patchSize?: [number, number, number];
  /** Bundle-specific settings passed to its `buildNetwork` (e.g. UNETR's hidden size). */
  bundleSettings?: Record<string, unknown>;
  /** Log function (default console.log). */
  log?: (line: string) => void;
}

/** What {@link trainFold} produced. */
export interface TrainFoldResult {
  /** The experiment folder (checkpoints, metrics, report, validation). */
  experimentDir: string;
  /** The training history and best epoch. */
  training: TrainingResult;
  /** Sliding-window validation metrics, unless skipped. */
  validation?: EvaluationReport;
  /** The network plan used. */
  plan: UNetPlan;
}

/** Listens for SIGINT where the platform allows it; says whether it does. */
function addInterruptListener(listener: () => void): boolean {
  try {
    Deno.addSignalListener("SIGINT", listener);
    return true;
  } catch {
    return false;
  }
}

function datasetName(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop() || "dataset";
}

/**
 * Trains and validates one fold.
 *
 * @example
 * ```ts ignore
 * const result = await trainFold({ data: "data/Task04_Hippocampus", output: "runs", fold: 0 });
 * console.log(result.validation?.foregroundMean.dice);
 * ```
 */
export async function trainFold(options: TrainFoldOptions): Promise<TrainFoldResult> {
  const log = options.log ?? console.log;
  const fold = options.fold ?? 0;
  const bundle = getBundle(options.bundle ?? "unet");
  const workDir = `${options.output.replace(/\/+$/, "")}/${datasetName(options.data)}`;
  const experimentDir = `${workDir}/${bundle.name}/fold_${fold}`;
  log(`adapter: ${describeGpu(gpu())}`);
  const prepared = await prepareDataset(options.data, workDir);
  const split = fold === "all"
    ? { train: [...prepared.preprocessed.ids], val: [...prepared.preprocessed.ids] }
    : selectFold(prepared.splits, fold);
  // Only now, with the data read and the fold found, does the experiment get a folder.
  await Deno.mkdir(experimentDir, { recursive: true });
  const plan = planNetwork(prepared, options);
  if (options.patchSize) plan.patchSize = options.patchSize;
  await atomicWriteTextFile(`${experimentDir}/network_plan.json`, JSON.stringify(plan) + "\n");
  log(
    `${prepared.preprocessed.ids.length} cases (${split.train.length} train, ` +
      `${split.val.length} validation), ${prepared.classes} classes, patch ` +
      `${plan.patchSize.join("×")}, features ${plan.features.join("-")}`,
  );
  const classes = prepared.classes;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 2;
  const trainCases = await loadPatchCases(prepared.preprocessed, split.train, classes);
  const valCases = await loadPatchCases(prepared.preprocessed, split.val, classes);
  const data = {
    train: new PatchBatchSource(trainCases, { patchSize: plan.patchSize, batchSize, seed }),
    validation: new PatchBatchSource(valCases, {
      patchSize: plan.patchSize,
      batchSize,
      augment: false,
      seed: seed + 7,
    }),
  };
  const inChannels = prepared.channels;
  class BundleTrainer extends Trainer {
    protected override buildNetwork(): AnyModule {
      return bundle.buildNetwork({
        inChannels,
        classes,
        plan,
        settings: options.bundleSettings,
      }) as unknown as AnyModule;
    }
  }
  const extra: { [key: string]: JsonValue } = {
    bundle: bundle.name,
    plan: plan as unknown as JsonValue,
    preprocessing: prepared.plan as unknown as JsonValue,
    classes,
    channels: inChannels,
    data: options.data,
    fold,
    settings: (options.bundleSettings ?? null) as JsonValue,
  };
  const trainer = new BundleTrainer({
    outputDir: experimentDir,
    classes,
    epochs: options.epochs,
    iterationsPerEpoch: options.iterationsPerEpoch,
    validationIterations: options.validationIterations,
    learningRate: options.learningRate,
    continueTraining: options.continueTraining,
    earlyStoppingPatience: options.earlyStoppingPatience,
    earlyStoppingMinDelta: options.earlyStoppingMinDelta,
    seed,
    extra,
  }, data);
  const { tracker, names: trackerNames } = await configuredTrackers(experimentDir, {
    remote: options.remoteTrackers,
    extra: options.trackers,
  });
  if (trackerNames.length > 1) log(`tracking: ${trackerNames.join(", ")}`);
  const started = performance.now();
  await tracker.experimentCreated({
    experimentId: `${datasetName(options.data)}-${bundle.name}-fold_${fold}`,
    name: `${datasetName(options.data)} ${bundle.name} fold ${fold}`,
    trainerName: "Trainer",
    modelName: bundle.name,
    bundleName: bundle.name,
    config: { ...trainer.config, ...extra } as unknown as { [key: string]: JsonValue },
    fold: typeof fold === "number" ? fold : undefined,
    startedAt: new Date().toISOString(),
    classNames: Array.from(
      { length: classes - 1 },
      (_, c) => prepared.dataset.labelNames?.[c + 1] ?? `class ${c + 1}`,
    ),
  });
  let bar: ProgressBar | undefined;
  let epoch = 0;
  let best = -Infinity;
  let bestEpoch = 0;
  trainer.onEpochStart = (next, history) => {
    epoch = next;
    for (const entry of history) {
      if (entry.emaPseudoDice > best) {
        best = entry.emaPseudoDice;
        bestEpoch = entry.epoch;
      }
    }
  };
  trainer.onIteration = (i, total) => {
    if (options.quiet) return;
    if (i === 1) {
      bar = new ProgressBar(total, {
        label: `epoch ${epoch}`,
        interactive: Deno.stdout.isTerminal(),
      });
    }
    bar?.update(i);
  };
  trainer.onEpochEnd = async (entry: EpochLog) => {
    bar?.finish();
    if (entry.emaPseudoDice > best) {
      best = entry.emaPseudoDice;
      bestEpoch = entry.epoch;
    }
    epoch = entry.epoch + 1;
    log(
      `epoch ${entry.epoch}: train ${entry.trainLoss.toFixed(4)}, val ${
        entry.validationLoss.toFixed(4)
      }, pseudo-Dice [${entry.pseudoDice.map((d) => d.toFixed(3)).join(", ")}], EMA ${
        entry.emaPseudoDice.toFixed(4)
      }, lr ${entry.learningRate.toExponential(2)}, ${entry.seconds.toFixed(1)} s`,
    );
    await tracker.epochEnded({
      epoch: entry.epoch,
      trainLoss: entry.trainLoss,
      validationLoss: entry.validationLoss,
      pseudoDice: entry.pseudoDice,
      meanPseudoDice: entry.meanPseudoDice,
      emaPseudoDice: entry.emaPseudoDice,
      learningRate: entry.learningRate,
      epochSeconds: entry.seconds,
      bestScore: best,
      bestEpoch,
      predictedFinalScore: entry.predictedFinalScore,
      predictedConvergenceEpoch: entry.predictedConvergenceEpoch,
    });
  };
  let training: TrainingResult;
  // Ctrl-C: the trackers hear of it (the checkpoints are already atomic), then the process
  // exits with 130; `--continue` resumes from the last finished epoch.
  const onInterrupt = () => {
    log("interrupted: resume with --continue");
    tracker.interrupted("interrupted by SIGINT").catch(() => {}).finally(() => Deno.exit(130));
  };
  const listening = addInterruptListener(onInterrupt);
  try {
    training = await trainer.train();
  } catch (error) {
    await tracker.interrupted(error).catch(() => {});
    throw error;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  let validation: EvaluationReport | undefined;
  if (!options.skipValidation) {
    const network = trainer.network;
    network.eval();
    log(`validating ${split.val.length} cases with the sliding-window predictor…`);
    validation = await validateFold({
      forward: (batch: Tensor) => network.forward(batch as never) as unknown as Tensor,
      dataset: prepared.dataset,
      preprocessed: prepared.preprocessed,
      ids: split.val,
      patchSize: plan.patchSize,
      classes,
      outputDir: `${experimentDir}/validation`,
    });
  }
  const finalMetrics: { [metric: string]: number[] } = {};
  if (validation) {
    finalMetrics.dice = validation.labels.map((l) => validation!.perClass[String(l)].mean.dice);
  }
  await tracker.completed({
    epochsCompleted: training.history.length,
    bestEpoch: training.bestEpoch,
    bestScore: training.bestScore,
    finalMetrics,
    durationSeconds: (performance.now() - started) / 1000,
    finishedAt: new Date().toISOString(),
  });
  return { experimentDir, training, validation, plan };
}
