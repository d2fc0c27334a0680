/**
 * The assembled pipeline: dataset preparation, network planning per adapter, training a
 * fold with tracking, and sliding-window validation with evaluation.
 *
 * @module
 */

export * from "./prepare_dataset.ts";
export * from "./network_plan.ts";
export * from "./training_cases.ts";
export * from "./volume_tensors.ts";
export * from "./validate_fold.ts";
export * from "./train_fold.ts";
export * from "./predictor.ts";
export * from "./prediction_inputs.ts";
export * from "./synthetic_dataset.ts";
export * from "./overlay.ts";
