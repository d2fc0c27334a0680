/**
 * Shared pieces of the data-augmentation kernels: the batch geometry they are specialised
 * for, and the launch prologue. Every augmentation kernel works on channels-last batches
 * (N, D, H, W, C); per-sample random parameters are never baked into the text (they change
 * every batch) but read from small storage buffers.
 *
 * @module
 */

import { flatGroupIndex } from "./grid.ts";
import { literal } from "./wgsl.ts";

/** Shape of a channels-last batch. */
export interface BatchGeometry {
  /** Samples. */
  batch: number;
  /** Spatial size (D, H, W). */
  size: readonly [number, number, number];
  /** Channels. */
  channels: number;
}

/** Invocations per workgroup of the augmentation kernels. */
export const AUGMENTATION_WORKGROUP = 64;

/** A float32 WGSL literal. */
export function f32Literal(value: number): string {
  return literal(value, "f32");
}

/** Voxels per sample (D·H·W). */
export function voxelsOf(geometry: BatchGeometry): number {
  return geometry.size[0] * geometry.size[1] * geometry.size[2];
}

/**
 * The `main` header over `total` invocations: defines `idx` and returns early past the end.
 * Returns the text and the number of workgroups.
 */
export function augmentationEntry(total: number): { groups: number; text: string } {
  const groups = Math.ceil(total / AUGMENTATION_WORKGROUP);
  const text = `@compute @workgroup_size(${AUGMENTATION_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = ${flatGroupIndex(groups)} * ${AUGMENTATION_WORKGROUP}u + lid;
  if (idx >= ${total}u) { return; }`;
  return { groups, text };
}

/**
 * WGSL statements that split the flat element index `idx` of a channels-last batch into
 * `c`, `w`, `h`, `d`, `n` and `nc` (the sample-channel pair `n * C + c`).
 */
export function splitElementIndex(geometry: BatchGeometry): string {
  const [depth, height, width] = geometry.size;
  const channels = geometry.channels;
  return `let c = idx % ${channels}u;
  let voxel = idx / ${channels}u;
  let w = voxel % ${width}u;
  let h = (voxel / ${width}u) % ${height}u;
  let d = (voxel / ${width * height}u) % ${depth}u;
  let n = voxel / ${width * height * depth}u;
  let nc = n * ${channels}u + c;`;
}
