/**
 * Full validation of a fold: sliding-window prediction of every validation case on its
 * preprocessed grid, restoration to the original grid and geometry, evaluation against
 * the original labels, and the predictions written as NIfTI beside the metrics.
 *
 * @module
 */

import { classLabels, noGrad, scope, type Tensor } from "../core/mod.ts";
import type { Dataset } from "../data/datasets/mod.ts";
import { writeVolume } from "../data/formats/mod.ts";
import { type PreprocessedDataset, restoreToOriginalGrid } from "../data/preprocessing/mod.ts";
import { type EvaluationCase, type EvaluationReport, Evaluator } from "../evaluation/mod.ts";
import { slidingWindowPredict } from "../inference/mod.ts";
import { labelsToVolume, volumeToTensor } from "./volume_tensors.ts";

/** What {@link validateFold} needs. */
export interface ValidateFoldOptions {
  /** The network in evaluation mode (returns full-resolution logits). */
  forward: (batch: Tensor) => Tensor;
  /** Source dataset (original labels and geometry). */
  dataset: Dataset;
  /** Preprocessed cases. */
  preprocessed: PreprocessedDataset;
  /** Validation case ids. */
  ids: readonly string[];
  /** Sliding-window patch size (D, H, W). */
  patchSize: [number, number, number];
  /** Classes including background. */
  classes: number;
  /** Folder for predictions and metrics. */
  outputDir: string;
  /** Mirror test-time augmentation axes (default all three). */
  mirrorAxes?: number[];
  /** Called after each case. */
  onCase?: (id: string, done: number, total: number) => void;
}

/** Predicts, restores, writes and evaluates every validation case. */
export async function validateFold(options: ValidateFoldOptions): Promise<EvaluationReport> {
  await Deno.mkdir(options.outputDir, { recursive: true });
  const evaluator = new Evaluator({
    labels: Array.from({ length: options.classes - 1 }, (_, c) => c + 1),
  });
  const ids = options.ids;
  async function* cases(): AsyncGenerator<EvaluationCase> {
    let done = 0;
    for (const id of ids) {
      const pre = await options.preprocessed.load(id);
      const predictedTensor = noGrad(() =>
        scope(() => {
          const image = volumeToTensor(pre.image);
          const logits = slidingWindowPredict(options.forward, image, {
            patchSize: options.patchSize,
            mirrorAxes: options.mirrorAxes ?? [0, 1, 2],
          });
          return classLabels(logits);
        })
      );
      const labels = await predictedTensor.read();
      predictedTensor.dispose();
      const predicted = labelsToVolume(labels, pre.image);
      const restored = restoreToOriginalGrid(predicted, pre.inversion, "label");
      await writeVolume(`${options.outputDir}/${id}.nii.gz`, restored);
      const original = await options.dataset.load(id);
      if (!original.label) throw new Error(`validation case ${id} has no label`);
      options.onCase?.(id, ++done, ids.length);
      yield { caseId: id, prediction: restored, reference: original.label };
    }
  }
  return await evaluator.evaluateToDirectory(cases(), options.outputDir);
}
