/**
 * Resizing channels-last volumes (N, D, H, W, C) to a new spatial size by nearest or
 * trilinear interpolation, with gradients. Trilinear is applied as three one-axis linear
 * passes (its weights factor per axis), each with a gather backward.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { foldGrid } from "../../shaders/grid.ts";
import {
  nearest3dKernel,
  resampleBackwardKernel,
  resampleKernel,
  type ResampleSpec,
} from "../../shaders/resize.ts";
import { copyOf } from "./binary.ts";
import { bindTensor } from "./run_kernel.ts";

/** Interpolation of {@link resize3d}. */
export type ResizeMode = "nearest" | "trilinear";

/** Options of {@link resize3d}. */
export interface Resize3dOptions {
  /** `nearest` (PyTorch's `nearest`: floor(o · in/out)) or `trilinear`; default trilinear. */
  mode?: ResizeMode;
  /** Trilinear only: corner samples map onto each other (PyTorch's `align_corners`). */
  alignCorners?: boolean;
}

/** Resamples axis `axis` of `x` to `outLength` (a differentiable one-axis pass). */
function resampleAxis(
  x: Tensor,
  axis: number,
  outLength: number,
  mode: "nearest" | "linear",
  alignCorners: boolean,
): Tensor {
  const shape = [...x.shape];
  const spec: ResampleSpec = {
    outer: shape.slice(0, axis).reduce((a, b) => a * b, 1),
    length: shape[axis],
    outLength,
    inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1),
    mode,
    alignCorners,
    dtype: x.dtype,
  };
  shape[axis] = outLength;
  const out = new Tensor(shape, x.dtype);
  if (out.size > 0) {
    const { code, groups } = resampleKernel(spec);
    dispatch(code, [out, x].map(bindTensor), foldGrid(groups));
  }
  return recordOp(out, `resize(${mode})`, [x], (g) => {
    const gx = new Tensor(x.shape, "f32");
    if (gx.size > 0) {
      const { code, groups } = resampleBackwardKernel({ ...spec, dtype: "f32" });
      dispatch(code, [gx, g].map(bindTensor), foldGrid(groups));
    }
    return [gx];
  });
}

/**
 * Resizes the spatial axes of `x` (N, D, H, W, C) to `size` = [D', H', W'].
 * `nearest` also resizes integer label maps (no gradient); `trilinear` needs f32.
 * Positions follow PyTorch's `interpolate` (computed in float32).
 *
 * @example
 * ```ts
 * import { resize3d } from "./resize.ts";
 * import { Tensor } from "../tensor.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = Tensor.from(new Float32Array(1 * 4 * 4 * 4 * 2), [1, 4, 4, 4, 2]);
 * const y = resize3d(x, [8, 8, 8], { mode: "trilinear" }); // [1, 8, 8, 8, 2]
 * ```
 */
export function resize3d(
  x: Tensor,
  size: readonly [number, number, number],
  options: Resize3dOptions = {},
): Tensor {
  gpu();
  const mode = options.mode ?? "trilinear";
  const alignCorners = options.alignCorners ?? false;
  if (x.rank !== 5) {
    throw new RangeError(`resize3d: input must be (N, D, H, W, C), got shape [${x.shape}]`);
  }
  if (size.length !== 3 || size.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`resize3d: size must be three positive integers, got [${size}]`);
  }
  if (mode !== "nearest" && mode !== "trilinear") {
    throw new RangeError(`resize3d: unknown mode '${mode}' (use "nearest" or "trilinear")`);
  }
  if (mode === "trilinear" && x.dtype !== "f32") {
    throw new TypeError(`resize3d: trilinear needs an f32 tensor, got ${x.dtype} (use nearest)`);
  }
  if (alignCorners && mode === "nearest") {
    throw new RangeError("resize3d: alignCorners applies to trilinear only");
  }
  if (x.shape.slice(1, 4).join() === size.join()) return copyOf(x);
  if (mode === "nearest") return nearestResize(x, size);
  let current = x;
  for (let a = 0; a < 3; a++) {
    const axis = a + 1;
    // Equal extents map every output onto its own input.
    if (x.shape[axis] === size[a]) continue;
    const next = resampleAxis(current, axis, size[a], "linear", alignCorners);
    if (current !== x) current.dispose();
    current = next;
  }
  return current;
}

/**
 * Nearest resizing in one gather pass; its backward runs the one-axis backward passes in
 * reverse order (the forward equals resampling D, then H, then W).
 */
function nearestResize(x: Tensor, size: readonly [number, number, number]): Tensor {
  const [n, d, h, w, c] = x.shape;
  const out = new Tensor([n, ...size, c], x.dtype);
  if (out.size > 0) {
    const { code, groups } = nearest3dKernel([n, d, h, w, c], size, x.dtype);
    dispatch(code, [out, x].map(bindTensor), foldGrid(groups));
  }
  return recordOp(out, "resize(nearest)", [x], (g) => {
    let current = g;
    for (let a = 2; a >= 0; a--) {
      const length = x.shape[a + 1];
      if (length === size[a]) continue;
      const spec: ResampleSpec = {
        outer: n * size.slice(0, a).reduce((p, q) => p * q, 1),
        length,
        outLength: size[a],
        inner: c * x.shape.slice(a + 2, 4).reduce((p, q) => p * q, 1),
        mode: "nearest",
        alignCorners: false,
        dtype: "f32",
      };
      const shape = [...current.shape];
      shape[a + 1] = length;
      const next = new Tensor(shape, "f32");
      if (next.size > 0) {
        const { code, groups } = resampleBackwardKernel(spec);
        dispatch(code, [next, current].map(bindTensor), foldGrid(groups));
      }
      if (current !== g) current.dispose();
      current = next;
    }
    return [current];
  });
}
