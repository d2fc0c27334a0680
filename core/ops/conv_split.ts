/**
 * Convolutions over tensors larger than one storage binding. The output is cut into slabs
 * of whole depth planes of one sample; each slab reads a contiguous range of input planes
 * (its receptive field), so both are copied out by buffer transfer, convolved by the
 * ordinary kernels, and the result copied back (or, for the weight and bias gradients,
 * summed over slabs). Internal to the conv ops.
 *
 * @module
 */

import { deviceLimit } from "../device.ts";
import { Tensor } from "../tensor.ts";
import type { ConvAxis } from "../../shaders/conv3d.ts";
import { BindingLimitError } from "./run_kernel.ts";
import { accumulate, copyElements, leadingRows } from "./region_copy.ts";
import { reshape } from "./movement.ts";

/** The three axes (D, H, W) of a gathered convolution. */
export type ConvAxes = readonly [ConvAxis, ConvAxis, ConvAxis];

/** Elements that fit in one storage binding. */
export function bindingElements(): number {
  return Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
}

/**
 * The input index range `[start, stop)` that outputs `[first, last)` of `axis` read
 * (clamped to the input; never empty, so a slab always has a plane to bind).
 */
export function inputRange(axis: ConvAxis, first: number, last: number): [number, number] {
  const reach = (axis.taps - 1) * axis.tap;
  const low = first * axis.mul + axis.offset + Math.min(0, reach);
  const high = (last - 1) * axis.mul + axis.offset + Math.max(0, reach);
  let start = Math.max(0, Math.ceil(low / axis.div));
  const stop = Math.min(axis.input, Math.floor(high / axis.div) + 1);
  if (stop <= start) start = Math.min(start, axis.input - 1);
  return [start, Math.max(stop, start + 1)];
}

/** The axis restricted to outputs `[first, last)` reading inputs `[start, stop)`. */
function slabAxis(
  axis: ConvAxis,
  first: number,
  last: number,
  [start, stop]: [number, number],
): ConvAxis {
  return {
    ...axis,
    output: last - first,
    input: stop - start,
    offset: axis.offset + first * axis.mul - start * axis.div,
  };
}

/** The most output planes per slab such that the slab and its input planes fit a binding. */
function slabPlanes(axis: ConvAxis, outPlane: number, inPlane: number, what: string): number {
  const limit = bindingElements();
  const reach = Math.abs((axis.taps - 1) * axis.tap);
  const inputPlanes = (k: number) => Math.floor(((k - 1) * axis.mul + reach) / axis.div) + 1;
  let k = Math.min(axis.output, Math.floor(limit / Math.max(1, outPlane)));
  while (k > 0 && Math.min(inputPlanes(k), axis.input) * inPlane > limit) k--;
  if (k < 1) {
    throw new BindingLimitError(
      `${what}: one depth plane (${outPlane} output or ${inPlane} input elements) does not ` +
        `fit the adapter's storage binding limit (${limit * 4} bytes); use smaller patches`,
    );
  }
  return k;
}

/** One slab: sample `sample`, output planes `[first, last)`, and its input planes. */
interface Slab {
  sample: number;
  first: number;
  last: number;
  range: [number, number];
}

function* slabs(batch: number, axis: ConvAxis, planes: number): Generator<Slab> {
  for (let sample = 0; sample < batch; sample++) {
    for (let first = 0; first < axis.output; first += planes) {
      const last = Math.min(axis.output, first + planes);
      yield { sample, first, last, range: inputRange(axis, first, last) };
    }
  }
}

/** The slab's input planes, copied into a tensor of batch 1. */
function inputSlab(input: Tensor, slab: Slab): Tensor {
  const [, depth, ...rest] = input.shape;
  const plane = rest.reduce((a, b) => a * b, 1);
  const [start, stop] = slab.range;
  const out = new Tensor([1, stop - start, ...rest], input.dtype);
  copyElements(input, (slab.sample * depth + start) * plane, out, 0, (stop - start) * plane);
  return out;
}

/** A gathered convolution run on an unsplit input (the ordinary kernels). */
export type Gather = (
  input: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  axes: ConvAxes,
  cout: number,
) => Tensor;

/** {@link Gather} over an input or output larger than one binding, slab by slab. */
export function gatherInSlabs(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  axes: ConvAxes,
  cout: number,
  gather: Gather,
): Tensor {
  const [batch, , h, w, cin] = input.shape;
  const [ad, ah, aw] = axes;
  const outPlane = ah.output * aw.output * cout;
  const planes = slabPlanes(ad, outPlane, h * w * cin, "conv");
  const out = new Tensor([batch, ad.output, ah.output, aw.output, cout], "f32");
  for (const slab of slabs(batch, ad, planes)) {
    const part = inputSlab(input, slab);
    const axesOfSlab: ConvAxes = [slabAxis(ad, slab.first, slab.last, slab.range), ah, aw];
    const result = gather(part, weight, bias, axesOfSlab, cout);
    const at = (slab.sample * ad.output + slab.first) * outPlane;
    copyElements(result, 0, out, at, result.size);
    part.dispose();
    result.dispose();
  }
  return out;
}

/** A weight gradient on unsplit tensors (the ordinary two-stage reduce). */
export type WeightGrad = (
  x: Tensor,
  g: Tensor,
  axes: ConvAxes,
  shape: readonly number[],
  strides: readonly [number, number, number],
) => Tensor;

/**
 * The weight gradient Σ X[map(o, t)]·G[o] when `x` or `g` is larger than one binding: the
 * sum over slabs of `g`'s planes, each with the input planes it reads.
 */
export function weightGradInSlabs(
  x: Tensor,
  g: Tensor,
  axes: ConvAxes,
  shape: readonly number[],
  strides: readonly [number, number, number],
  weightGrad: WeightGrad,
): Tensor {
  const [batch, , h, w, cx] = x.shape;
  const [ad, ah, aw] = axes;
  const gPlane = ah.output * aw.output * g.shape[4];
  const planes = slabPlanes(ad, gPlane, h * w * cx, "conv weight gradient");
  let total: Tensor | undefined;
  for (const slab of slabs(batch, ad, planes)) {
    const xPart = inputSlab(x, slab);
    const gPart = new Tensor([1, slab.last - slab.first, ...g.shape.slice(2)], "f32");
    copyElements(g, (slab.sample * ad.output + slab.first) * gPlane, gPart, 0, gPart.size);
    const axesOfSlab: ConvAxes = [slabAxis(ad, slab.first, slab.last, slab.range), ah, aw];
    total = accumulate(total, weightGrad(xPart, gPart, axesOfSlab, shape, strides));
    xPart.dispose();
    gPart.dispose();
  }
  return total!;
}

/** The bias gradient (sum over all but the last axis) of a `g` larger than one binding. */
export function biasGradInSlabs(g: Tensor, biasGrad: (g: Tensor) => Tensor): Tensor {
  const channels = g.shape[g.rank - 1];
  const rows = reshape(g, [g.size / Math.max(1, channels), channels]);
  const perSlab = Math.max(1, Math.floor(bindingElements() / Math.max(1, channels)));
  let total: Tensor | undefined;
  for (let start = 0; start < rows.shape[0]; start += perSlab) {
    const part = leadingRows(rows, start, Math.min(rows.shape[0], start + perSlab));
    total = accumulate(total, biasGrad(part));
    part.dispose();
  }
  rows.dispose();
  return total!;
}
