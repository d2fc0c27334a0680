/**
 * 3-D max and average pooling over channels-last volumes (N, D, H, W, C) with gradients.
 *
 * Volumes larger than one storage binding are pooled in slabs: of whole samples while a
 * sample fits, otherwise of depth planes of one sample. A forward slab is a range of output
 * planes with the input planes its windows read; a backward slab a range of input planes
 * with the output planes whose windows cover them. Both are contiguous, so they are copied
 * out by buffer transfer and run by the ordinary kernels with the depth padding shifted to
 * the slab's origin.
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import { dispatch } from "../command_queue.ts";
import { deviceLimit, gpu } from "../device.ts";
import { Tensor } from "../tensor.ts";
import { foldGrid } from "../../shaders/grid.ts";
import {
  type Pool3dGeometry,
  poolBackwardKernel,
  poolForwardKernel,
} from "../../shaders/pooling.ts";
import { BindingLimitError, bindTensor, broadcastView, runElementwise } from "./run_kernel.ts";
import { copyElements } from "./region_copy.ts";

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
 * each window in (d, h, w) order, as in PyTorch; padded positions never win. Volumes
 * larger than one storage binding are pooled in slabs (see the module notes).
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
  // Flat input index of each window's maximum (over the whole tensor, also when split).
  const argmax = new Tensor(shape, "u32");
  if (out.size > 0) poolForward(geometry, "max", "maxPool3d", x, out, argmax);
  const result = recordOp(out, "maxPool3d", [x], (g) => {
    const gx = new Tensor(x.shape, "f32");
    if (gx.size > 0) poolBackward(geometry, "max", "maxPool3d", g, gx, argmax);
    return [gx];
  }, [argmax]);
  // The graph holds its own reference to the argmax storage when it needs it.
  argmax.dispose();
  return result;
}

/**
 * Average pooling over windows of `kernel` voxels. Windows that overlap the padding still
 * divide by the full kernel volume (PyTorch's default `count_include_pad=True`). Volumes
 * larger than one storage binding are pooled in slabs (see the module notes).
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
  if (out.size > 0) poolForward(geometry, "avg", "avgPool3d", x, out);
  return recordOp(out, "avgPool3d", [x], (g) => {
    const gx = new Tensor(x.shape, "f32");
    if (gx.size > 0) poolBackward(geometry, "avg", "avgPool3d", g, gx);
    return [gx];
  });
}

/** Elements of one storage binding (4-byte elements). */
function bindingElements(): number {
  return Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
}

/**
 * A part of a pooling run by the ordinary kernels: samples `[sample, sample + samples)`,
 * input depth planes `[start, stop)` and output depth planes `[first, last)` (whole
 * extents when `samples` > 1, so the part is contiguous in both tensors).
 */
interface PoolSlab {
  sample: number;
  samples: number;
  start: number;
  stop: number;
  first: number;
  last: number;
}

/** Input planes `[start, stop)` read by the windows of output planes `[first, last)`. */
function readPlanes(g: Pool3dGeometry, first: number, last: number): [number, number] {
  const [k, s, p, d] = [g.kernel[0], g.stride[0], g.padding[0], g.input[1]];
  // Every window touches a real plane (padding ≤ half the kernel), so the range is not empty.
  return [Math.max(0, first * s - p), Math.min(d, (last - 1) * s - p + k)];
}

/**
 * Output planes `[first, last)` whose windows may cover input planes `[start, stop)`. The
 * first is also at most ⌊(start + p) / s⌋, so that the slab's shifted padding is not
 * negative (the backward kernel's window bounds need i + p ≥ 0); extra planes add nothing.
 */
function coveringPlanes(g: Pool3dGeometry, start: number, stop: number): [number, number] {
  const [k, s, p, od] = [g.kernel[0], g.stride[0], g.padding[0], g.output[0]];
  const low = Math.max(0, Math.ceil((start + p - k + 1) / s));
  const first = Math.min(low, Math.floor((start + p) / s), od - 1);
  const last = Math.min(od, Math.floor((stop - 1 + p) / s) + 1);
  return [first, Math.max(last, first + 1)];
}

/**
 * Slabs whose tensors each fit one binding: whole samples when one sample fits, otherwise
 * runs of output planes (`by` = "output", the forward) or of input planes ("input", the
 * backward) of one sample. Throws naming the op, the shape and the limit when even one
 * plane of a slab does not fit.
 */
function planSlabs(g: Pool3dGeometry, by: "output" | "input", op: string): PoolSlab[] {
  const [n, d, h, w, c] = g.input;
  const [od, oh, ow] = g.output;
  const inPlane = h * w * c;
  const outPlane = oh * ow * c;
  const limit = bindingElements();
  const slabs: PoolSlab[] = [];
  const perSample = Math.max(d * inPlane, od * outPlane);
  if (perSample <= limit) {
    const samples = Math.floor(limit / perSample);
    for (let sample = 0; sample < n; sample += samples) {
      const count = Math.min(samples, n - sample);
      slabs.push({ sample, samples: count, start: 0, stop: d, first: 0, last: od });
    }
    return slabs;
  }
  const extent = by === "output" ? od : d;
  const plane = by === "output" ? outPlane : inPlane;
  for (let planes = Math.min(extent, Math.floor(limit / plane)); planes >= 1; planes--) {
    const ranges: Array<Omit<PoolSlab, "sample" | "samples">> = [];
    for (let at = 0; at < extent; at += planes) {
      const end = Math.min(extent, at + planes);
      if (by === "output") {
        const [start, stop] = readPlanes(g, at, end);
        ranges.push({ start, stop, first: at, last: end });
      } else {
        const [first, last] = coveringPlanes(g, at, end);
        ranges.push({ start: at, stop: end, first, last });
      }
    }
    const fits = ranges.every((r) =>
      (r.stop - r.start) * inPlane <= limit && (r.last - r.first) * outPlane <= limit
    );
    if (!fits) continue;
    for (let sample = 0; sample < n; sample++) {
      for (const r of ranges) slabs.push({ sample, samples: 1, ...r });
    }
    return slabs;
  }
  throw new BindingLimitError(
    `${op}: input [${g.input}] with output [${n},${g.output},${c}] exceeds the storage ` +
      `binding limit (${limit * 4} bytes) and cannot be split: a slab of one depth plane ` +
      `(${inPlane} input or ${outPlane} output elements, with the planes its windows reach) ` +
      "does not fit; use smaller patches or fewer channels",
  );
}

/** The slab's geometry: its own extents, the depth padding shifted to its origin. */
function slabGeometry(g: Pool3dGeometry, slab: PoolSlab): Pool3dGeometry {
  const [, , h, w, c] = g.input;
  return {
    input: [slab.samples, slab.stop - slab.start, h, w, c],
    output: [slab.last - slab.first, g.output[1], g.output[2]],
    kernel: g.kernel,
    stride: g.stride,
    padding: [g.padding[0] + slab.start - slab.first * g.stride[0], g.padding[1], g.padding[2]],
  };
}

/** Element offsets of the slab's first input and first output element. */
function slabOffsets(g: Pool3dGeometry, slab: PoolSlab): { input: number; output: number } {
  const [, d, h, w, c] = g.input;
  const [od, oh, ow] = g.output;
  return {
    input: (slab.sample * d + slab.start) * h * w * c,
    output: (slab.sample * od + slab.first) * oh * ow * c,
  };
}

/** A new tensor of `shape` holding `source`'s elements from `at` on. */
function copyOut(source: Tensor, at: number, shape: readonly number[]): Tensor {
  const part = new Tensor(shape, source.dtype);
  copyElements(source, at, part, 0, part.size);
  return part;
}

/** `index + shift` (u32, wrapping) as a new tensor; `shift` may be negative. */
function shiftIndices(index: Tensor, shift: number): Tensor {
  const amount = ((shift % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return runElementwise(index.shape, "u32", [broadcastView(index, index.shape)], `v0 + ${amount}u`);
}

/** Runs the forward kernel into `out` (and `argmax` for max), in slabs when needed. */
function poolForward(
  g: Pool3dGeometry,
  kind: "max" | "avg",
  op: string,
  x: Tensor,
  out: Tensor,
  argmax?: Tensor,
): void {
  const bound = (o: Tensor, a: Tensor | undefined, input: Tensor) =>
    (a ? [o, a, input] : [o, input]).map(bindTensor);
  if (Math.max(x.size, out.size) <= bindingElements()) {
    const { code, groups } = poolForwardKernel(g, kind);
    dispatch(code, bound(out, argmax, x), foldGrid(groups));
    return;
  }
  for (const slab of planSlabs(g, "output", op)) {
    const local = slabGeometry(g, slab);
    const at = slabOffsets(g, slab);
    const part = copyOut(x, at.input, local.input);
    const shape = outputShape(local);
    const o = new Tensor(shape, "f32");
    const a = argmax ? new Tensor(shape, "u32") : undefined;
    const { code, groups } = poolForwardKernel(local, kind);
    dispatch(code, bound(o, a, part), foldGrid(groups));
    copyElements(o, 0, out, at.output, o.size);
    if (argmax && a) {
      // The kernel's indices count from the slab's first input element.
      const global = at.input === 0 ? a : shiftIndices(a, at.input);
      copyElements(global, 0, argmax, at.output, global.size);
      if (global !== a) global.dispose();
      a.dispose();
    }
    for (const t of [part, o]) t.dispose();
  }
}

/** Runs the backward kernel of gradient `grad` into `gx`, in slabs when needed. */
function poolBackward(
  g: Pool3dGeometry,
  kind: "max" | "avg",
  op: string,
  grad: Tensor,
  gx: Tensor,
  argmax?: Tensor,
): void {
  const bound = (target: Tensor, a: Tensor | undefined, go: Tensor) =>
    (a ? [target, a, go] : [target, go]).map(bindTensor);
  if (Math.max(gx.size, grad.size) <= bindingElements()) {
    const { code, groups } = poolBackwardKernel(g, kind);
    dispatch(code, bound(gx, argmax, grad), foldGrid(groups));
    return;
  }
  for (const slab of planSlabs(g, "input", op)) {
    const local = slabGeometry(g, slab);
    const at = slabOffsets(g, slab);
    const shape = outputShape(local);
    const part = copyOut(grad, at.output, shape);
    let a: Tensor | undefined;
    if (argmax) {
      // Relative to the slab's first input element; maxima outside the slab wrap or run
      // past its end, so they match none of its elements.
      const window = copyOut(argmax, at.output, shape);
      a = at.input === 0 ? window : shiftIndices(window, -at.input);
      if (a !== window) window.dispose();
    }
    const target = new Tensor(local.input, "f32");
    const { code, groups } = poolBackwardKernel(local, kind);
    dispatch(code, bound(target, a, part), foldGrid(groups));
    copyElements(target, 0, gx, at.input, target.size);
    for (const t of [part, target, a]) t?.dispose();
  }
}
