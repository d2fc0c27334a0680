/**
 * 3-D max and average pooling over channels-last volumes (N, D, H, W, C) with gradients.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { foldGrid } from "../../shaders/grid.ts";
import {
  type Pool3dGeometry,
  poolBackwardKernel,
  poolForwardKernel,
} from "../../shaders/pooling.ts";
import { bindTensor } from "./run_kernel.ts";

/** One value for all three spatial axes, or one per axis (D, H, W). */
export type Size3 = number | readonly [number, number, number];

/** Options of {@link maxPool3d} and {@link avgPool3d}. */
export interface Pool3dOptions {
  /** Step between windows; defaults to the kernel size. */
  stride?: Size3;
  /** Implicit padding on both sides of each axis (at most half the kernel); default 0. */
  padding?: Size3;
}

function triple(
  value: Size3,
  name: string,
  minimum: number,
): [number, number, number] {
  const v: number[] = typeof value === "number" ? [value, value, value] : [...value];
  if (v.length !== 3 || v.some((x) => !Number.isInteger(x) || x < minimum)) {
    throw new RangeError(
      `pool3d: ${name} must be an integer ≥ ${minimum} or three of them, got ${value}`,
    );
  }
  return [v[0], v[1], v[2]];
}

/** Checks arguments and computes where the windows sit. */
export function poolGeometry(
  x: Tensor,
  kernel: Size3,
  options: Pool3dOptions = {},
): Pool3dGeometry {
  if (x.rank !== 5) {
    throw new RangeError(`pool3d: input must be (N, D, H, W, C), got shape [${x.shape}]`);
  }
  if (x.dtype !== "f32") throw new TypeError(`pool3d: input must be f32, got ${x.dtype}`);
  const k = triple(kernel, "kernel", 1);
  const s = triple(options.stride ?? kernel, "stride", 1);
  const p = triple(options.padding ?? 0, "padding", 0);
  const spatial = [x.shape[1], x.shape[2], x.shape[3]];
  const output = spatial.map((extent, a) => {
    if (2 * p[a] > k[a]) {
      throw new RangeError(`pool3d: padding [${p}] exceeds half of kernel [${k}]`);
    }
    const o = Math.floor((extent + 2 * p[a] - k[a]) / s[a]) + 1;
    if (o < 1) {
      throw new RangeError(
        `pool3d: kernel [${k}] with padding [${p}] does not fit input [${x.shape}]`,
      );
    }
    return o;
  });
  const [n, d, h, w, c] = x.shape;
  return {
    input: [n, d, h, w, c],
    output: [output[0], output[1], output[2]],
    kernel: k,
    stride: s,
    padding: p,
  };
}

function outputShape(g: Pool3dGeometry): number[] {
  return [g.input[0], ...g.output, g.input[4]];
}

/**
 * Max pooling over windows of `kernel` voxels. The gradient goes to the first maximum of
 * each window in (d, h, w) order, as in PyTorch; padded positions never win.
 *
 * @example
 * ```ts
 * import { maxPool3d } from "./pooling.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = Tensor.from(new Float32Array(2 * 4 * 4 * 4 * 3), [2, 4, 4, 4, 3]);
 * const y = maxPool3d(x, 2); // [2, 2, 2, 2, 3]
 * ```
 */
export function maxPool3d(x: Tensor, kernel: Size3, options: Pool3dOptions = {}): Tensor {
  gpu();
  const geometry = poolGeometry(x, kernel, options);
  const shape = outputShape(geometry);
  const out = new Tensor(shape, "f32");
  const argmax = new Tensor(shape, "u32");
  if (out.size > 0) {
    const { code, groups } = poolForwardKernel(geometry, "max");
    dispatch(code, [out, argmax, x].map(bindTensor), foldGrid(groups));
  }
  const result = recordOp(out, "maxPool3d", [x], (g) => {
    const gx = new Tensor(x.shape, "f32");
    const { code, groups } = poolBackwardKernel(geometry, "max");
    if (gx.size > 0) dispatch(code, [gx, argmax, g].map(bindTensor), foldGrid(groups));
    return [gx];
  }, [argmax]);
  // The graph holds its own reference to the argmax storage when it needs it.
  argmax.dispose();
  return result;
}

/**
 * Average pooling over windows of `kernel` voxels. Windows that overlap the padding still
 * divide by the full kernel volume (PyTorch's default `count_include_pad=True`).
 *
 * @example
 * ```ts
 * import { avgPool3d } from "./pooling.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = Tensor.from(new Float32Array(1 * 5 * 5 * 5 * 2), [1, 5, 5, 5, 2]);
 * const y = avgPool3d(x, 3, { stride: 2, padding: 1 }); // [1, 3, 3, 3, 2]
 * ```
 */
export function avgPool3d(x: Tensor, kernel: Size3, options: Pool3dOptions = {}): Tensor {
  gpu();
  const geometry = poolGeometry(x, kernel, options);
  const out = new Tensor(outputShape(geometry), "f32");
  if (out.size > 0) {
    const { code, groups } = poolForwardKernel(geometry, "avg");
    dispatch(code, [out, x].map(bindTensor), foldGrid(groups));
  }
  return recordOp(out, "avgPool3d", [x], (g) => {
    const gx = new Tensor(x.shape, "f32");
    const { code, groups } = poolBackwardKernel(geometry, "avg");
    if (gx.size > 0) dispatch(code, [gx, g].map(bindTensor), foldGrid(groups));
    return [gx];
  });
}
