/**
 * The predictor: loads a trained checkpoint (network, plans, EMA weights), and segments
 * volumes end to end — preprocess exactly as in training, sliding-window prediction with
 * mirroring, argmax, and restoration to the source image's grid and geometry.
 *
 * @module
 */

import { argmaxLastAxis, noGrad, scope, type Tensor } from "../core/mod.ts";
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
import { labelsToVolume, volumeToTensor } from "./volume_tensors.ts";

/** What a checkpoint must carry (written by `trainFold`) to predict on its own. */
interface ExperimentFacts {
  bundle: string;
  plan: UNetPlan;
  preprocessing: PreprocessingPlan;
  classes: number;
  channels: number;
}

/** Options of {@link Predictor.predictVolume}. */
export interface PredictOptions {
  /** Mirror axes for test-time augmentation (default all three; [] is fastest). */
  mirrorAxes?: number[];
  /** Largest step between windows as a fraction of the patch (default 0.5). */
  stepFraction?: number;
}

/** Raised when a checkpoint lacks what prediction needs. */
export class PredictorError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PredictorError";
  }
}

/** Segments volumes with a trained network. */
export class Predictor {
  /** The network (evaluation mode). */
  readonly network: SegmentationNetwork;
  /** Network plan (patch size). */
  readonly plan: UNetPlan;
  /** Preprocessing applied before the network. */
  readonly preprocessing: PreprocessingPlan;
  /** Classes including background. */
  readonly classes: number;
  /** Image channels expected. */
  readonly channels: number;

  private constructor(network: SegmentationNetwork, facts: ExperimentFacts) {
    this.network = network;
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
    return new Predictor(network, full);
  }

  /** Segments one volume; the result lies on the input's grid with its geometry. */
  async predictVolume(image: Volume, options: PredictOptions = {}): Promise<Volume> {
    if (image.channels !== this.channels) {
      throw new PredictorError(
        `the model expects ${this.channels} channel(s), the image has ${image.channels}`,
      );
    }
    const pre = preprocessCase({ id: "case", image }, this.preprocessing);
    const predicted = noGrad(() =>
      scope(() => {
        const input = volumeToTensor(pre.image);
        const logits = slidingWindowPredict(
          (batch: Tensor) => this.network.forward(batch) as Tensor,
          input,
          {
            patchSize: this.plan.patchSize,
            mirrorAxes: options.mirrorAxes ?? [0, 1, 2],
            stepFraction: options.stepFraction,
          },
        );
        return argmaxLastAxis(logits);
      })
    );
    const labels = await predicted.read();
    predicted.dispose();
    const onGrid = labelsToVolume(labels, pre.image);
    return restoreToOriginalGrid(onGrid, pre.inversion, "label");
  }

  /** Reads `input` (any supported format or a DICOM folder) and writes the segmentation. */
  async predictFile(input: string, output: string, options: PredictOptions = {}): Promise<void> {
    const image = await readVolume(input);
    const mask = await this.predictVolume(image, options);
    await writeVolume(output, mask);
  }

  /** Frees the network's GPU memory. */
  dispose(): void {
    this.network.dispose();
  }
}
