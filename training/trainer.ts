/**
 * The trainer: a plain class whose behaviour changes by overriding a few `build…` hooks,
 * with nnU-Net's defaults — SGD with Nesterov momentum 0.99 (lr 1e-2, weight decay 3e-5),
 * poly learning rate, gradient clipping at norm 12, Dice + cross-entropy with deep
 * supervision, an EMA of the weights for validation, a patch-based pseudo-Dice each epoch
 * (its EMA picks the best checkpoint), atomic checkpoints every epoch and exact resume.
 *
 * @module
 */

import {
  add,
  globalGenerator,
  noGrad,
  type RandomState,
  reshape,
  scope,
  type Tensor,
  zeros,
} from "../core/mod.ts";
import { clipGradNorm } from "../core/optim/clip_grad.ts";
import { EMA } from "../core/optim/ema.ts";
import type { Optimizer } from "../core/optim/optimizer.ts";
import { SGD } from "../core/optim/sgd.ts";
import { PolyLR } from "../core/optim/schedulers/poly.ts";
import type { LRScheduler } from "../core/optim/schedulers/lr_scheduler.ts";
import { diceBceLoss, diceCrossEntropyLoss } from "../core/ops/losses/compound.ts";
import { atomicWriteFile } from "../core/serialize/atomic_write.ts";
import type { AnyModule } from "../layers/module.ts";
import type { BatchSource } from "./batch_source.ts";
import { type JsonValue, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { deepSupervisionLoss, deepSupervisionWeights } from "./deep_supervision.ts";
import { EarlyStopping } from "./early_stopping.ts";
import { PseudoDiceAccumulator } from "./pseudo_dice.ts";
import {
  DICE_CURVE_PREDICTION,
  predictValidationCurve,
  type ValidationCurveOptions,
} from "./validation_curve.ts";

/** Settings of a training run (all but `outputDir` and `classes` have defaults). */
export interface TrainerConfig {
  /** Folder for checkpoints and logs. */
  outputDir: string;
  /** Number of classes including background. */
  classes: number;
  /** Epochs to train (default 1000, as nnU-Net). */
  epochs?: number;
  /** Optimizer steps per epoch (default 250). */
  iterationsPerEpoch?: number;
  /** Validation batches per epoch (default 50). */
  validationIterations?: number;
  /** Initial learning rate (default 1e-2). */
  learningRate?: number;
  /** SGD momentum (default 0.99). */
  momentum?: number;
  /** Weight decay (default 3e-5). */
  weightDecay?: number;
  /** Global gradient-norm clip (default 12). */
  gradientClip?: number;
  /** Decay of the EMA of the weights (default 0.999; 0 disables the EMA). */
  emaDecay?: number;
  /** Stop after this many epochs without EMA pseudo-Dice improvement (default: never). */
  earlyStoppingPatience?: number;
  /**
   * Improvement of the EMA pseudo-Dice over the best so far needed to reset the patience
   * (default 1e-4). Smaller gains still update the best checkpoint but do not buy time.
   */
  earlyStoppingMinDelta?: number;
  /**
   * How the final validation score is predicted each epoch from the mean pseudo-Dice curve
   * (quotient regression). Default: Dice bounds [0, 1], tolerance 0.01, fit from the epoch
   * the curve reaches three quarters of its maximum.
   */
  scorePrediction?: ValidationCurveOptions;
  /** Resume from `outputDir/checkpoint_latest.safetensors` when it exists. */
  continueTraining?: boolean;
  /** Seed of the global GPU random generator (default 0). */
  seed?: number;
  /** Anything else to store with the checkpoint (bundle name, plan…). */
  extra?: { [key: string]: JsonValue };
}

/** What one epoch produced. */
export interface EpochLog {
  /** Epoch index from 0. */
  epoch: number;
  /** Mean training loss. */
  trainLoss: number;
  /** Mean validation loss (with the EMA weights when enabled). */
  validationLoss: number;
  /** Pseudo-Dice per foreground class. */
  pseudoDice: number[];
  /** Mean pseudo-Dice over foreground classes (NaN classes ignored). */
  meanPseudoDice: number;
  /** EMA (0.9/0.1) of the mean pseudo-Dice; picks the best checkpoint. */
  emaPseudoDice: number;
  /** Learning rate used in the epoch. */
  learningRate: number;
  /** Seconds the epoch took. */
  seconds: number;
  /** Predicted final mean pseudo-Dice from quotient regression, when a fit succeeded. */
  predictedFinalScore?: number;
  /** Epoch (from 0) from which the fitted curve stays within tolerance of that score. */
  predictedConvergenceEpoch?: number;
}

/** The result of {@link Trainer.train}. */
export interface TrainingResult {
  /** Every epoch's log, including resumed ones. */
  history: EpochLog[];
  /** Epoch with the best EMA pseudo-Dice. */
  bestEpoch: number;
  /** That EMA pseudo-Dice. */
  bestScore: number;
  /** Why training ended. */
  stoppedBy: "epochs" | "early-stopping";
}

type LossFunction = (logits: Tensor, labels: Tensor) => Tensor;

function meanIgnoringNaN(values: number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

/**
 * Trains a network built by {@link Trainer.buildNetwork} on batches from two sources.
 *
 * @example
 * ```ts ignore
 * class MyTrainer extends Trainer {
 *   override buildNetwork() {
 *     return new PlainConvUNet({ inChannels: 1, classes: 3 });
 *   }
 * }
 * const result = await new MyTrainer({ outputDir: "runs/a", classes: 3 }, data).train();
 * ```
 */
export class Trainer {
  /** The resolved configuration. */
  readonly config: Required<Omit<TrainerConfig, "earlyStoppingPatience" | "extra">> & {
    earlyStoppingPatience?: number;
    extra: { [key: string]: JsonValue };
  };
  /** Training batches. */
  readonly trainData: BatchSource;
  /** Validation batches. */
  readonly validationData: BatchSource;
  /** Called after every epoch (trackers, progress output). */
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  /** Called after every training iteration with (iteration, iterationsPerEpoch). */
  onIteration?: (iteration: number, total: number) => void;
  /**
   * Called before each epoch with its number and the logs of the epochs before it
   * (including those restored by a resume).
   */
  onEpochStart?: (epoch: number, history: readonly EpochLog[]) => void;

  #network?: AnyModule;
  #deepSupervision = new Map<number, number[]>();

  /** Creates a trainer; nothing is built until {@link train}. */
  constructor(config: TrainerConfig, data: { train: BatchSource; validation: BatchSource }) {
    this.config = {
      epochs: 1000,
      iterationsPerEpoch: 250,
      validationIterations: 50,
      learningRate: 1e-2,
      momentum: 0.99,
      weightDecay: 3e-5,
      gradientClip: 12,
      emaDecay: 0.999,
      earlyStoppingMinDelta: 1e-4,
      scorePrediction: DICE_CURVE_PREDICTION,
      continueTraining: false,
      seed: 0,
      extra: {},
      // keys given as `undefined` keep their defaults
      ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)),
    } as Trainer["config"];
    this.trainData = data.train;
    this.validationData = data.validation;
  }

  /** The network being trained (after {@link train} started). */
  get network(): AnyModule {
    if (!this.#network) throw new Error("the network is built when train() starts");
    return this.#network;
  }

  /**
   * Builds the network. Override it: the network maps (N, D, H, W, C) to logits
   * (N, D, H, W, K), or to a list of logits, highest resolution first (deep supervision).
   */
  protected buildNetwork(): AnyModule {
    throw new Error("override buildNetwork() to return the network to train");
  }

  /** Builds the optimizer (default SGD, Nesterov momentum). */
  protected buildOptimizer(parameters: Tensor[]): Optimizer {
    const c = this.config;
    return new SGD(parameters, {
      lr: c.learningRate,
      momentum: c.momentum,
      nesterov: true,
      weightDecay: c.weightDecay,
    });
  }

  /** Builds the learning-rate schedule, stepped once per epoch (default poly). */
  protected buildScheduler(): LRScheduler {
    return new PolyLR({ baseLR: this.config.learningRate, totalSteps: this.config.epochs });
  }

  /**
   * Builds the loss for one output: Dice + cross-entropy over softmax outputs, and Dice +
   * BCE when the network has one sigmoid output channel for a single foreground class.
   */
  protected buildLoss(): LossFunction {
    return (logits, labels) =>
      logits.shape.at(-1) === 1
        ? diceBceLoss(logits, reshape(labels, [...labels.shape, 1]))
        : diceCrossEntropyLoss(logits, labels);
  }

  /**
   * Weights of the deep-supervision outputs, highest resolution first (default nnU-Net's
   * 1/2^i with the lowest resolution at 0, normalised to sum to 1). Override to change them.
   */
  protected buildDeepSupervisionWeights(outputs: number): number[] {
    return deepSupervisionWeights(outputs);
  }

  /** Path of a checkpoint kind in the output folder. */
  checkpointPath(kind: "latest" | "best" | "final"): string {
    return `${this.config.outputDir}/checkpoint_${kind}.safetensors`;
  }

  /** Runs the training loop (resuming when configured and a checkpoint exists). */
  async train(): Promise<TrainingResult> {
    const c = this.config;
    await Deno.mkdir(c.outputDir, { recursive: true });
    const generator = globalGenerator();
    generator.setState({ seed: c.seed, offset: 0 });
    const network = this.buildNetwork();
    this.#network = network;
    const parameters = network.parameters();
    const optimizer = this.buildOptimizer(parameters);
    const scheduler = this.buildScheduler();
    const loss = this.buildLoss();
    // The decay warms up (min(decay, (1 + t) / (10 + t))) so early averages are not
    // dominated by the random initial weights.
    const ema = c.emaDecay > 0 ? new EMA(network, { decay: c.emaDecay, warmup: true }) : undefined;
    const pseudo = new PseudoDiceAccumulator(c.classes);
    let history: EpochLog[] = [];
    let start = 0;
    let bestScore = -Infinity;
    let bestEpoch = -1;
    let emaScore = NaN;
    const stopping = c.earlyStoppingPatience === undefined
      ? undefined
      : new EarlyStopping(c.earlyStoppingPatience, c.earlyStoppingMinDelta);
    if (c.continueTraining && await exists(this.checkpointPath("latest"))) {
      const checkpoint = await loadCheckpoint(this.checkpointPath("latest"));
      network.loadStateDict(checkpoint.model);
      if (checkpoint.optimizer) optimizer.loadStateDict(checkpoint.optimizer);
      if (checkpoint.ema && ema) ema.loadStateDict(checkpoint.ema);
      const state = checkpoint.state as unknown as SavedState;
      scheduler.loadStateDict(state.scheduler as never);
      generator.setState(state.rng);
      if (state.trainData !== undefined) this.trainData.setState?.(state.trainData);
      if (state.validationData !== undefined) {
        this.validationData.setState?.(state.validationData);
      }
      history = state.history;
      start = state.epoch + 1;
      // JSON has no −Infinity: a run that never scored saved null.
      bestScore = state.bestScore ?? -Infinity;
      bestEpoch = state.bestEpoch;
      emaScore = state.emaScore ?? NaN;
      stopping?.setState(
        state.earlyStopping ?? { referenceScore: bestScore, referenceEpoch: bestEpoch },
      );
    }
    let stoppedBy: TrainingResult["stoppedBy"] = "epochs";
    try {
      for (let epoch = start; epoch < c.epochs; epoch++) {
        this.onEpochStart?.(epoch, history);
        const began = performance.now();
        const learningRate = scheduler.lr(epoch);
        optimizer.lr = learningRate;
        const trainLoss = await this.#trainEpoch(network, optimizer, loss, ema);
        const validation = await this.#validate(network, loss, ema, pseudo);
        const mean = meanIgnoringNaN(validation.dice);
        emaScore = Number.isNaN(emaScore)
          ? mean
          : 0.9 * emaScore + 0.1 * (Number.isNaN(mean) ? 0 : mean);
        const log: EpochLog = {
          epoch,
          trainLoss,
          validationLoss: validation.loss,
          pseudoDice: validation.dice,
          meanPseudoDice: mean,
          emaPseudoDice: emaScore,
          learningRate,
          seconds: (performance.now() - began) / 1000,
        };
        history.push(log);
        const prediction = predictValidationCurve(
          history.map((h) => h.epoch),
          history.map((h) => h.meanPseudoDice),
          c.scorePrediction,
        );
        if (prediction) {
          log.predictedFinalScore = prediction.finalScore;
          log.predictedConvergenceEpoch = prediction.convergenceEpoch;
        }
        scheduler.step();
        const stop = stopping?.update(epoch, emaScore) ?? false;
        if (emaScore > bestScore) {
          bestScore = emaScore;
          bestEpoch = epoch;
        }
        const checkpoint = {
          model: await network.stateDict(),
          ema: ema ? await ema.stateDict() : undefined,
          optimizer: await optimizer.stateDict(),
          state: {
            epoch,
            scheduler: scheduler.stateDict() as unknown as JsonValue,
            rng: generator.state() as unknown as JsonValue,
            trainData: this.trainData.state?.() ?? null,
            validationData: this.validationData.state?.() ?? null,
            history: history as unknown as JsonValue,
            bestScore,
            bestEpoch,
            emaScore,
            earlyStopping: (stopping?.state() ?? null) as unknown as JsonValue,
            config: this.config as unknown as JsonValue,
          },
        };
        await saveCheckpoint(this.checkpointPath("latest"), checkpoint);
        if (bestEpoch === epoch) await saveCheckpoint(this.checkpointPath("best"), checkpoint);
        await this.onEpochEnd?.(log);
        if (stop) {
          stoppedBy = "early-stopping";
          break;
        }
      }
      if (history.length) {
        const latest = await Deno.readFile(this.checkpointPath("latest"));
        await atomicWriteFile(this.checkpointPath("final"), latest);
      }
      // From here on the network holds the averaged weights, as validation and the
      // predictor (which loads the EMA weights from the checkpoint) use them.
      ema?.copyTo(network);
    } finally {
      pseudo.dispose();
      ema?.dispose();
    }
    return { history, bestEpoch, bestScore, stoppedBy };
  }

  async #trainEpoch(
    network: AnyModule,
    optimizer: Optimizer,
    loss: LossFunction,
    ema: EMA | undefined,
  ): Promise<number> {
    const c = this.config;
    network.train();
    // The loss sum stays on the GPU; it is read once per epoch.
    let total = zeros([]).keep();
    for (let i = 0; i < c.iterationsPerEpoch; i++) {
      const batch = await this.trainData.next();
      const value = scope(() => this.#loss(network, batch.image, batch.label, loss));
      value.backward();
      noGrad(() =>
        scope(() => {
          clipGradNorm(optimizer.params, c.gradientClip);
        })
      );
      optimizer.step();
      optimizer.zeroGrad();
      ema?.update();
      const next = noGrad(() => add(total, value)).keep();
      total.dispose();
      total = next;
      value.dispose();
      batch.image.dispose();
      batch.label.dispose();
      this.onIteration?.(i + 1, c.iterationsPerEpoch);
    }
    const sum = await total.item();
    total.dispose();
    return sum / Math.max(1, c.iterationsPerEpoch);
  }

  async #validate(
    network: AnyModule,
    loss: LossFunction,
    ema: EMA | undefined,
    pseudo: PseudoDiceAccumulator,
  ): Promise<{ loss: number; dice: number[] }> {
    const c = this.config;
    network.eval();
    ema?.swapIn();
    let total = zeros([]).keep();
    try {
      for (let i = 0; i < c.validationIterations; i++) {
        const batch = await this.validationData.next();
        noGrad(() =>
          scope(() => {
            const outputs = asList(network.forward(batch.image as never) as Tensor | Tensor[]);
            const value = this.#lossFromOutputs(outputs, batch.label, loss);
            const next = add(total, value).keep();
            total.dispose();
            total = next;
            pseudo.add(outputs[0], batch.label);
          })
        );
        batch.image.dispose();
        batch.label.dispose();
      }
    } finally {
      ema?.swapOut();
    }
    // The loss sum and the counts come back in one round trip.
    const { dice, extra } = await pseudo.read(total);
    total.dispose();
    return { loss: extra[0] / Math.max(1, c.validationIterations), dice };
  }

  #loss(network: AnyModule, image: Tensor, label: Tensor, loss: LossFunction): Tensor {
    const outputs = asList(network.forward(image as never) as Tensor | Tensor[]);
    return this.#lossFromOutputs(outputs, label, loss);
  }

  #lossFromOutputs(outputs: Tensor[], label: Tensor, loss: LossFunction): Tensor {
    if (outputs.length === 1) return loss(outputs[0], label);
    return deepSupervisionLoss(outputs, label, loss, this.#weightsFor(outputs.length));
  }

  /** The deep-supervision weights for `outputs` outputs, built and checked once. */
  #weightsFor(outputs: number): number[] {
    let weights = this.#deepSupervision.get(outputs);
    if (weights) return weights;
    weights = this.buildDeepSupervisionWeights(outputs);
    if (weights.length !== outputs || !weights.every((w) => Number.isFinite(w) && w >= 0)) {
      throw new RangeError(
        `deep-supervision weights [${weights}] must be ${outputs} finite values ≥ 0`,
      );
    }
    this.#deepSupervision.set(outputs, weights);
    return weights;
  }
}

interface SavedState {
  epoch: number;
  scheduler: JsonValue;
  rng: RandomState;
  trainData: JsonValue;
  validationData: JsonValue;
  history: EpochLog[];
  bestScore: number | null;
  bestEpoch: number;
  emaScore: number | null;
  /** Null without early stopping; absent in checkpoints from before it kept its own state. */
  earlyStopping?: { referenceScore: number | null; referenceEpoch: number } | null;
}

function asList(output: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(output) ? output : [output];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
