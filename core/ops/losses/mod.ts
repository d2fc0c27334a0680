/**
 * Segmentation losses with gradients w.r.t. the logits: softmax cross-entropy, soft Dice,
 * sigmoid BCE, and nnU-Net's compound Dice + CE and Dice + BCE.
 *
 * @module
 */

export * from "./check.ts";
export * from "./cross_entropy.ts";
export * from "./dice.ts";
export * from "./bce.ts";
export * from "./compound.ts";
