/**
 * Index of the largest value along the last axis (class channel of channels-last logits),
 * as i32. Ties resolve to the lowest index, like NumPy and PyTorch. Not differentiable.
 *
 * @module
 */

import { dispatch } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { flatGroupIndex, foldGrid } from "../../shaders/grid.ts";
import { bindTensor } from "./run_kernel.ts";
import { inRowSlabs } from "./region_copy.ts";
import { reshape } from "./movement.ts";

const WORKGROUP = 64;

/**
 * Argmax over the last axis.
 *
 * @example
 * ```ts
 * import { argmaxLastAxis } from "./argmax.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const labels = argmaxLastAxis(Tensor.from([0.1, 0.7, 0.2, 0.9, 0.05, 0.05], [2, 3])); // [1, 0]
 * ```
 */
export function argmaxLastAxis(x: Tensor): Tensor {
  if (x.rank < 1) throw new RangeError("argmax needs at least one axis");
  if (x.dtype !== "f32") throw new TypeError(`argmax needs f32, got ${x.dtype}`);
  gpu();
  const classes = x.shape[x.rank - 1];
  if (x.size * 4 > deviceLimit("maxStorageBufferBindingSize")) {
    // Rows are independent: argmax slabs of whole voxels and gather the labels.
    const rows = reshape(x, [x.size / classes, classes]);
    const flat = inRowSlabs(rows, argmaxLastAxis);
    rows.dispose();
    const out = reshape(flat, x.shape.slice(0, -1));
    flat.dispose();
    return out;
  }
  const out = new Tensor(x.shape.slice(0, -1), "i32");
  if (out.size === 0 || classes === 0) return out;
  const groups = Math.ceil(out.size / WORKGROUP);
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<i32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${flatGroupIndex(groups)} * ${WORKGROUP}u + lid;
  if (i >= ${out.size}u) { return; }
  let base = i * ${classes}u;
  var best = src[base];
  var index = 0;
  for (var c = 1u; c < ${classes}u; c++) {
    let v = src[base + c];
    if (v > best) { best = v; index = i32(c); }
  }
  out[i] = index;
}
`;
  dispatch(code, [bindTensor(out), bindTensor(x)], [...foldGrid(groups)]);
  return out;
}
