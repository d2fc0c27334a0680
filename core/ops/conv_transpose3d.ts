/**
 * 3-D transposed convolution (the upsampling of a U-Net decoder) over channels-last
 * volumes, with gradients, and weight-layout converters to and from PyTorch.
 *
 * Layouts: input (N, D, H, W, Cin), weight (kD, kH, kW, Cin, Cout), bias (Cout), output
 * (N, (D − 1)·sD + kD, …, Cout) — with kernel = stride, (N, D·sD, H·sH, W·sW, Cout).
 *
 * @module
 */

import { recordOp } from "../autograd.ts";
import type { Tensor } from "../tensor.ts";
import type { ConvAxis } from "../../shaders/conv3d.ts";
import {
  convBiasGrad,
  convGather,
  convWeightGrad,
  swapWeightChannels,
  type Triple,
  triple,
} from "./conv3d.ts";
import { permute } from "./movement.ts";

/** Options of {@link convTranspose3d}. */
export interface ConvTranspose3dOptions {
  /** Stride per axis (default: the kernel size, so output = input · stride). */
  stride?: Triple;
}

/**
 * Transposed 3-D convolution, like `torch.nn.ConvTranspose3d` with padding 0: every input
 * voxel i adds x[i, ci] · w[k, ci, co] to output voxel i·stride + k. With kernel = stride
 * (2×2×2, 1×2×2, …) the output is (N, D·sD, H·sH, W·sW, Cout). Gradients flow to `x`,
 * `weight` and `bias`.
 *
 * @example
 * ```ts
 * import { convTranspose3d } from "./conv_transpose3d.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const x = randNormal([1, 4, 4, 4, 16]);
 * const w = randNormal([2, 2, 2, 16, 8]);
 * const y = convTranspose3d(x, w, undefined, { stride: 2 }); // [1, 8, 8, 8, 8]
 * ```
 */
export function convTranspose3d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor,
  options: ConvTranspose3dOptions = {},
): Tensor {
  if (x.rank !== 5) {
    throw new RangeError(`convTranspose3d: x must be (N, D, H, W, Cin), got [${x.shape}]`);
  }
  if (weight.rank !== 5) {
    throw new RangeError(
      `convTranspose3d: weight must be (kD, kH, kW, Cin, Cout), got [${weight.shape}]`,
    );
  }
  if (x.dtype !== "f32" || weight.dtype !== "f32") throw new TypeError("convTranspose3d needs f32");
  const cin = x.shape[4];
  const cout = weight.shape[4];
  if (weight.shape[3] !== cin) {
    throw new RangeError(
      `convTranspose3d: x has ${cin} channels but weight [${weight.shape}] expects ` +
        `${weight.shape[3]} (convert PyTorch weights with transposedWeightFromTorchLayout)`,
    );
  }
  if (cin === 0) throw new RangeError("convTranspose3d: the input has no channels");
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) {
    throw new RangeError(`convTranspose3d: bias must be (${cout}), got [${bias.shape}]`);
  }
  const kernel = weight.shape.slice(0, 3);
  if (kernel.some((k) => k < 1)) throw new RangeError("convTranspose3d: empty kernel");
  const stride = options.stride === undefined ? kernel : triple(options.stride, 1, "stride");
  if (stride.some((s) => s < 1)) throw new RangeError("convTranspose3d: stride must be ≥ 1");
  const input = x.shape.slice(1, 4);
  const output = input.map((s, d) => (s - 1) * stride[d] + kernel[d]);

  // Forward: y[o] gathers x[(o − k) / s] at every tap k that divides exactly.
  const gatherAxes = [0, 1, 2].map((d): ConvAxis => ({
    output: output[d],
    input: input[d],
    taps: kernel[d],
    mul: 1,
    offset: 0,
    tap: -1,
    div: stride[d],
  })) as [ConvAxis, ConvAxis, ConvAxis];
  // The adjoint map: input voxel i meets output voxel i·s + k (a strided convolution).
  const strideAxes = [0, 1, 2].map((d): ConvAxis => ({
    output: input[d],
    input: output[d],
    taps: kernel[d],
    mul: stride[d],
    offset: 0,
    tap: 1,
    div: 1,
  })) as [ConvAxis, ConvAxis, ConvAxis];

  const out = convGather(x, weight, bias, gatherAxes, cout);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return recordOp(out, "convTranspose3d", inputs, (g) => {
    let gx: Tensor | undefined;
    let gw: Tensor | undefined;
    let gb: Tensor | undefined;
    if (x.requiresGrad) {
      // dx[i, ci] = Σ_{k, co} dy[i·s + k, co] · w[k, ci, co]: a strided convolution of dy.
      const swapped = swapWeightChannels(weight);
      gx = convGather(g, swapped, undefined, strideAxes, cin);
      swapped.dispose();
    }
    if (weight.requiresGrad) {
      // dw[k, ci, co] = Σ_i dy[i·s + k, co] · x[i, ci]: computed as [k, co, ci], stored swapped.
      gw = convWeightGrad(g, x, strideAxes, weight.shape, [cin * cout, 1, cout]);
    }
    if (bias?.requiresGrad) gb = convBiasGrad(g);
    return [gx, gw, gb];
  }, [x, weight]);
}

/**
 * Converts a PyTorch `ConvTranspose3d` weight (Cin, Cout, kD, kH, kW) to this library's
 * layout (kD, kH, kW, Cin, Cout). Returns a new tensor.
 *
 * @example
 * ```ts
 * import { transposedWeightFromTorchLayout } from "./conv_transpose3d.ts";
 * import { randNormal } from "../random.ts";
 * import { getGpu } from "../device.ts";
 * await getGpu();
 * const w = transposedWeightFromTorchLayout(randNormal([16, 8, 2, 2, 2])); // [2, 2, 2, 16, 8]
 * ```
 */
export function transposedWeightFromTorchLayout(w: Tensor): Tensor {
  if (w.rank !== 5) throw new RangeError(`expected (Cin, Cout, kD, kH, kW), got [${w.shape}]`);
  return permute(w, [2, 3, 4, 0, 1]);
}

/** Converts a weight (kD, kH, kW, Cin, Cout) to PyTorch's `ConvTranspose3d` layout. */
export function transposedWeightToTorchLayout(w: Tensor): Tensor {
  if (w.rank !== 5) throw new RangeError(`expected (kD, kH, kW, Cin, Cout), got [${w.shape}]`);
  return permute(w, [3, 4, 0, 1, 2]);
}
