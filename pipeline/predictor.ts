/**
 * The predictor: loads a trained checkpoint (network, plans, EMA weights), and segments
 * volumes end to end — preprocess exactly as in training, sliding-window prediction with
 * mirroring, argmax (or softmax probabilities), and restoration to the source image's grid
 * and geometry.
 *
 * @module
 */

import {
  add,
  argmaxLastAxis,
  classLabels,
  classProbabilities,
  div,
  noGrad,
  scope,
  type Tensor,
} from "../core/mod.ts";
import { EMA } from "../core/optim/ema.ts";
import { getBundle, type SegmentationNetwork } from "../bundles/mod.ts";
import type { UNetPlan } from "../bundles/unet/planner.ts";
import { readVolume, writeVolume } from "../data/formats/mod.ts";
import {
  preprocessCase,
  type PreprocessingPlan,
  restoreToOriginalGrid,
} from "../data/preprocessing/mod.ts";
import type { Volume } from "../data/volume.ts";
import { slidingWindowPredict } from "../inference/mod.ts";
import { loadCheckpoint } from "../training/checkpoint.ts";
import { labelsToVolume, probabilitiesToVolume, volumeToTensor } from "./volume_tensors.ts";

/** What a checkpoint must carry (written by `trainFold`) to predict on its own. */
interface ExperimentFacts {
  bundle: string;
  plan: UNetPlan;
  preprocessing: PreprocessingPlan;
  classes: number;
  channels: number;
  settings?: Record<string, unknown> | null;
}

/**
 * What {@link Predictor.predictVolume} returns: `"labels"`, a one-channel uint8 label map;
 * `"probabilities"`, float32 softmax probabilities with one channel per class.
 */
export type PredictionOutput = "labels" | "probabilities";

/** Options of {@link Predictor.predictVolume}. */
export interface PredictOptions {
  /**
   * Spatial axes to mirror for test-time augmentation, of the network's (D, H, W) = (k, j, i)
   * view of the volume (default all three, [0, 1, 2]; [] is fastest).
   */
  mirrorAxes?: number[];
  /** Largest step between windows as a fraction of the patch, in (0, 1] (default 0.5). */
  stepFraction?: number;
  /**
   * `"labels"` (default) or `"probabilities"`: the softmax probabilities, one float32
   * channel per class (background first; for an ensemble, the mean over its networks),
   * restored to the source grid like labels are — resampled back (linearly) and un-cropped,
   * with background probability 1 outside the crop. Each voxel's channels sum to 1, and
   * {@link labelsFromProbabilities} gives the matching label map (the default labels,
   * unless preprocessing resampled the image: labels are then interpolated class-wise).
   */
  output?: PredictionOutput;
}

/** Raised when a checkpoint lacks what prediction needs. */
export class PredictorError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PredictorError";
  }
}

/** Segments volumes with one trained network, or an ensemble of folds. */
export class Predictor {
  /** The networks (evaluation mode); several when folds are ensembled. */
  readonly networks: SegmentationNetwork[];
  /** Network plan (patch size). */
  readonly plan: UNetPlan;
  /** Preprocessing applied before the network. */
  readonly preprocessing: PreprocessingPlan;
  /** Classes including background. */
  readonly classes: number;
  /** Image channels expected. */
  readonly channels: number;

  private constructor(networks: SegmentationNetwork[], facts: ExperimentFacts) {
    this.networks = networks;
    this.plan = facts.plan;
    this.preprocessing = facts.preprocessing;
    this.classes = facts.classes;
    this.channels = facts.channels;
  }

  /**
   * Loads a checkpoint written by training; uses its EMA weights when present.
   *
   * @example
   * ```ts ignore
   * const predictor = await Predictor.fromCheckpoint("runs/Task04/unet/fold_0/checkpoint_final.safetensors");
   * const mask = await predictor.predictVolume(await readVolume("case.nii.gz"));
   * ```
   */
  static async fromCheckpoint(path: string): Promise<Predictor> {
    const { network, facts } = await Predictor.#load(path);
    return new Predictor([network], facts);
  }

  /**
   * Ensembles several checkpoints (e.g. the five folds): their softmax probabilities are
   * averaged. All must share the plan and the preprocessing.
   */
  static async fromCheckpoints(paths: readonly string[]): Promise<Predictor> {
    if (paths.length === 0) throw new PredictorError("no checkpoints to ensemble");
    const loaded: Array<{ network: SegmentationNetwork; facts: ExperimentFacts }> = [];
    for (const path of paths) loaded.push(await Predictor.#load(path));
    const key = (f: ExperimentFacts) =>
      JSON.stringify([f.plan.patchSize, f.preprocessing, f.classes, f.channels]);
    const mismatch = loaded.findIndex((l) => key(l.facts) !== key(loaded[0].facts));
    if (mismatch >= 0) {
      for (const l of loaded) l.network.dispose();
      throw new PredictorError(
        `${paths[mismatch]} was trained with another plan or preprocessing than ${paths[0]}`,
      );
    }
    return new Predictor(loaded.map((l) => l.network), loaded[0].facts);
  }

  static async #load(
    path: string,
  ): Promise<{ network: SegmentationNetwork; facts: ExperimentFacts }> {
    const checkpoint = await loadCheckpoint(path);
    const config = checkpoint.state.config as { extra?: Partial<ExperimentFacts> } | undefined;
    const facts = config?.extra;
    if (!facts?.bundle || !facts.plan || !facts.preprocessing || !facts.classes) {
      throw new PredictorError(
        `${path}: the checkpoint has no bundle/plan/preprocessing facts (was it written by ` +
          "`deno task train`?)",
      );
    }
    const full = facts as ExperimentFacts;
    const network = getBundle(full.bundle).buildNetwork({
      inChannels: full.channels,
      classes: full.classes,
      plan: full.plan,
      settings: full.settings ?? undefined,
    });
    network.loadStateDict(checkpoint.model);
    if (checkpoint.ema?.weights.size) {
      // EMA shadows are stored in the live parameters' layout: load them through an EMA.
      const ema = new EMA(network, { decay: checkpoint.ema.decay });
      ema.loadStateDict(checkpoint.ema);
      ema.copyTo(network);
      ema.dispose();
    }
    network.eval();
    return { network, facts: full };
  }

  /**
   * Segments one volume; the result (a label map, or class probabilities when
   * `options.output` is `"probabilities"`) lies on the input's grid with its geometry.
   *
   * @example
   * ```ts ignore
   * const probabilities = await predictor.predictVolume(image, { output: "probabilities" });
   * await writeVolume("case_probabilities.nii.gz", probabilities); // 4-D, one volume per class
   * const mask = labelsFromProbabilities(probabilities);
   * ```
   */
  async predictVolume(image: Volume, options: PredictOptions = {}): Promise<Volume> {
    const output = options.output ?? "labels";
    if (output !== "labels" && output !== "probabilities") {
      throw new PredictorError(`output must be "labels" or "probabilities", got "${output}"`);
    }
    if (image.channels !== this.channels) {
      throw new PredictorError(
        `the model expects ${this.channels} channel(s), the image has ${image.channels}`,
      );
    }
    const pre = preprocessCase({ id: "case", image }, this.preprocessing);
    const predicted = noGrad(() =>
      scope(() => {
        const input = volumeToTensor(pre.image);
        const predict = (network: SegmentationNetwork) =>
          slidingWindowPredict((batch: Tensor) => network.forward(batch) as Tensor, input, {
            patchSize: this.plan.patchSize,
            mirrorAxes: options.mirrorAxes ?? [0, 1, 2],
            stepFraction: options.stepFraction,
          });
        if (output === "labels" && this.networks.length === 1) {
          return classLabels(predict(this.networks[0]));
        }
        // Ensembles average probabilities (argmax of the sum = argmax of the mean).
        let total: Tensor | undefined;
        for (const network of this.networks) {
          const probabilities = classProbabilities(predict(network));
          total = total ? add(total, probabilities) : probabilities;
        }
        if (output === "labels") return argmaxLastAxis(total!);
        return this.networks.length > 1 ? div(total!, this.networks.length) : total!;
      })
    );
    const values = await predicted.read();
    predicted.dispose();
    if (output === "probabilities") {
      const onGrid = probabilitiesToVolume(values, this.classes, pre.image);
      return restoreToOriginalGrid(onGrid, pre.inversion, "probabilities");
    }
    const onGrid = labelsToVolume(values, pre.image);
    return restoreToOriginalGrid(onGrid, pre.inversion, "label");
  }

  /**
   * Reads `input` (any supported format or a DICOM folder) and writes the segmentation, or
   * with `output: "probabilities"` the class probabilities (a 4-D float32 volume).
   */
  async predictFile(input: string, output: string, options: PredictOptions = {}): Promise<void> {
    const image = await readVolume(input);
    const mask = await this.predictVolume(image, options);
    await writeVolume(output, mask);
  }

  /** Frees the networks' GPU memory. */
  dispose(): void {
    for (const network of this.networks) network.dispose();
  }
}
