/**
 * Pooling and resampling layers over channels-last volumes (N, D, H, W, C).
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import { avgPool3d, maxPool3d, type Size3 } from "../core/ops/pooling.ts";
import { resize3d, type ResizeMode } from "../core/ops/resize.ts";
import { Module } from "./module.ts";
import { LayerArgumentError } from "./errors.ts";

/** Settings of {@link MaxPool3d} and {@link AvgPool3d}. */
export interface Pool3dLayerOptions {
  /** Window size per axis. */
  kernelSize: Size3;
  /** Step between windows (default: the window size). */
  stride?: Size3;
  /** Implicit padding per axis (default 0). */
  padding?: Size3;
}

/** Maximum over each window. */
export class MaxPool3d extends Module {
  /** The settings. */
  readonly options: Readonly<Pool3dLayerOptions>;

  /** Creates the layer. */
  constructor(options: Pool3dLayerOptions) {
    super();
    this.options = Object.freeze({ ...options });
  }

  /** Pools x (N, D, H, W, C). */
  forward(x: Tensor): Tensor {
    const { kernelSize, stride, padding } = this.options;
    return maxPool3d(x, kernelSize, { stride, padding });
  }
}

/** Mean over each window. */
export class AvgPool3d extends Module {
  /** The settings. */
  readonly options: Readonly<Pool3dLayerOptions>;

  /** Creates the layer. */
  constructor(options: Pool3dLayerOptions) {
    super();
    this.options = Object.freeze({ ...options });
  }

  /** Pools x (N, D, H, W, C). */
  forward(x: Tensor): Tensor {
    const { kernelSize, stride, padding } = this.options;
    return avgPool3d(x, kernelSize, { stride, padding });
  }
}

/** Settings of {@link Upsample}: give either `size` or `scaleFactor`. */
export interface UpsampleOptions {
  /** Output (D, H, W). */
  size?: readonly [number, number, number];
  /** Factor per axis (output = floor(input · factor), as PyTorch). */
  scaleFactor?: number | readonly [number, number, number];
  /** `nearest` or `trilinear` (default nearest, as PyTorch). */
  mode?: ResizeMode;
  /** Trilinear only: align corner samples. */
  alignCorners?: boolean;
}

/** Resamples volumes to a size or by a factor. */
export class Upsample extends Module {
  /** The settings. */
  readonly options: Readonly<UpsampleOptions>;

  /** Creates the layer. */
  constructor(options: UpsampleOptions) {
    super();
    if ((options.size === undefined) === (options.scaleFactor === undefined)) {
      throw new LayerArgumentError("Upsample: give exactly one of size and scaleFactor");
    }
    this.options = Object.freeze({ ...options });
  }

  /** Resamples x (N, D, H, W, C). */
  forward(x: Tensor): Tensor {
    const { size, scaleFactor, mode, alignCorners } = this.options;
    let target: [number, number, number];
    if (size) target = [size[0], size[1], size[2]];
    else {
      const f = typeof scaleFactor === "number"
        ? [scaleFactor, scaleFactor, scaleFactor]
        : scaleFactor!;
      target = [0, 1, 2].map((i) => Math.floor(x.shape[i + 1] * f[i])) as [
        number,
        number,
        number,
      ];
    }
    return resize3d(x, target, { mode: mode ?? "nearest", alignCorners });
  }
}
