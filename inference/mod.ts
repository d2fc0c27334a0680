/**
 * Prediction: sliding windows over whole volumes with Gaussian weighting and mirroring.
 *
 * @module
 */

export * from "./gaussian_importance.ts";
export * from "./window_steps.ts";
export * from "./sliding_window.ts";
