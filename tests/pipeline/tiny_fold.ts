/** The smallest `trainFold` settings the pipeline tests train with (tests only). */
import type { TrainFoldOptions } from "../../pipeline/mod.ts";

/** One epoch of a 4-8 feature network, no output: what a test needs to get a checkpoint. */
export const TINY_FOLD: Partial<TrainFoldOptions> = {
  fold: 0,
  epochs: 1,
  iterationsPerEpoch: 2,
  validationIterations: 1,
  baseFeatures: 4,
  maxFeatures: 8,
  quiet: true,
  log: () => {},
};
