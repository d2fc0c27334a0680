/**
 * Segmentation loss kernels over channels-last class scores: a fused log-softmax + NLL
 * per voxel, and the per-class sums behind soft Dice (intersection, predicted volume,
 * true volume) accumulated in chunks of voxels so that large volumes reduce in two stages.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import { type DType, literal } from "./wgsl.ts";

/** Invocations per workgroup of the loss kernels. */
export const LOSS_WORKGROUP = 64;

function entry(total: number): { groups: number; text: string } {
  const groups = Math.ceil(total / LOSS_WORKGROUP);
  const text = `@compute @workgroup_size(${LOSS_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${LOSS_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }`;
  return { groups, text };
}

/** Shape of a softmax cross-entropy over `voxels` rows of `classes` logits. */
export interface CrossEntropySpec {
  /** Number of voxels (rows). */
  voxels: number;
  /** Classes per voxel (contiguous). */
  classes: number;
  /** Label value whose voxels contribute nothing. */
  ignoreIndex?: number;
}

/**
 * Per voxel: log Σ exp(z) (one pass, running max), the loss `lse − z[label]` (0 where
 * ignored, NaN for a label outside [0, classes)) and a 0/1 validity flag.
 * Bindings: loss, lse, valid (f32, one per voxel), logits (f32), labels (i32).
 */
export function crossEntropyKernel(spec: CrossEntropySpec): { code: string; groups: number } {
  const { voxels, classes, ignoreIndex } = spec;
  const { groups, text } = entry(voxels);
  const counted = ignoreIndex === undefined ? "true" : `y != ${literal(ignoreIndex, "i32")}`;
  const code = `
@group(0) @binding(0) var<storage, read_write> loss: array<f32>;
@group(0) @binding(1) var<storage, read_write> lse: array<f32>;
@group(0) @binding(2) var<storage, read_write> valid: array<f32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read> labels: array<i32>;
${text}
  let base = idx * ${classes}u;
  var top = logits[base];
  var total = 1.0;
  for (var k = 1u; k < ${classes}u; k++) {
    let z = logits[base + k];
    if (z > top) {
      total = total * exp(top - z) + 1.0;
      top = z;
    } else {
      total += exp(z - top);
    }
  }
  let l = top + log(total);
  lse[idx] = l;
  let y = labels[idx];
  let counted = ${counted};
  let known = y >= 0 && y < ${classes};
  let picked = logits[base + u32(clamp(y, 0, ${classes - 1}))];
  loss[idx] = select(0.0, select(${literal(NaN, "f32")}, l - picked, known), counted);
  valid[idx] = select(0.0, 1.0, counted);
}
`;
  return { code, groups };
}

/** Shape of the soft Dice sums over probabilities (N, S voxels, K classes). */
export interface DiceStatisticsSpec {
  /** Samples. */
  batch: number;
  /** Voxels per sample. */
  voxels: number;
  /** Classes (contiguous, last axis). */
  classes: number;
  /** Voxels summed by one invocation (the first stage of the reduction). */
  chunk: number;
  /** `labels`: an i32 label per voxel; `binary`: one 0/1 target per voxel and class. */
  target: "labels" | "binary";
  /** Element type of the target. */
  targetDtype: DType;
  /** Labels only: voxels with this label are left out of every sum. */
  ignoreIndex?: number;
}

/**
 * Partial sums per (sample, chunk, class): Σ p·t, Σ p, Σ t over the chunk's voxels, where
 * t is the one-hot (or binary) target and ignored voxels are skipped.
 * Bindings: partial (f32, (N, chunks, 3, K)), probs (f32), target.
 */
export function diceStatisticsKernel(
  spec: DiceStatisticsSpec,
): { code: string; groups: number; chunks: number } {
  const { batch, voxels, classes, chunk, target, targetDtype, ignoreIndex } = spec;
  const chunks = Math.ceil(voxels / chunk);
  const { groups, text } = entry(batch * chunks * classes);
  const load = target === "labels"
    ? `let y = truth_in[voxel];
    let inside = ${ignoreIndex === undefined ? "true" : `y != ${literal(ignoreIndex, "i32")}`};
    let t = select(0.0, 1.0, inside && y == i32(k));
    let p = select(0.0, probs[voxel * ${classes}u + k], inside);`
    : `let t = f32(truth_in[voxel * ${classes}u + k]);
    let p = probs[voxel * ${classes}u + k];`;
  const code = `
@group(0) @binding(0) var<storage, read_write> partial: array<f32>;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> truth_in: array<${targetDtype}>;
${text}
  let k = idx % ${classes}u;
  let rest = idx / ${classes}u;
  let part = rest % ${chunks}u;
  let n = rest / ${chunks}u;
  let first = n * ${voxels}u + part * ${chunk}u;
  let last = n * ${voxels}u + min((part + 1u) * ${chunk}u, ${voxels}u);
  var overlap = 0.0;
  var predicted = 0.0;
  var truth = 0.0;
  for (var voxel = first; voxel < last; voxel++) {
    ${load}
    overlap += p * t;
    predicted += p;
    truth += t;
  }
  let out = rest * ${3 * classes}u + k;
  partial[out] = overlap;
  partial[out + ${classes}u] = predicted;
  partial[out + ${2 * classes}u] = truth;
}
`;
  return { code, groups, chunks };
}
