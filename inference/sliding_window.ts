/**
 * Sliding-window prediction over a whole volume: windows batched through the network,
 * optional mirror test-time augmentation, logits weighted by a Gaussian importance map
 * and accumulated on the GPU, then normalised by the accumulated weights.
 *
 * @module
 */

import {
  add,
  concat,
  div,
  flip,
  noGrad,
  pad,
  reshape,
  runElementwise,
  scope,
  slice,
  Tensor,
  zeros,
} from "../core/mod.ts";
import { gaussianImportanceMap } from "./gaussian_importance.ts";
import { windowGrid } from "./window_steps.ts";

/** Options of {@link slidingWindowPredict}. */
export interface SlidingWindowOptions {
  /** Window size (D, H, W), usually the training patch size. */
  patchSize: [number, number, number];
  /** Largest step between windows as a fraction of the patch (default 0.5). */
  stepFraction?: number;
  /** Spatial axes to mirror for test-time augmentation (0 = D, 1 = H, 2 = W); none by default. */
  mirrorAxes?: number[];
  /** Windows per network call (default 2). */
  batchSize?: number;
  /** σ of the importance map as a fraction of the patch (default 1/8). */
  sigmaScale?: number;
  /** Called after each batch of windows with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Every non-empty subset of the mirror axes (nnU-Net mirrors all combinations). */
function mirrorCombinations(axes: readonly number[]): number[][] {
  const out: number[][] = [[]];
  for (const axis of axes) for (const prev of [...out]) out.push([...prev, axis]);
  return out;
}

/**
 * Predicts logits for a whole volume `image` of shape (D, H, W, C) with a network mapping
 * (B, d, h, w, C) to (B, d, h, w, K). Returns averaged logits (D, H, W, K).
 *
 * @example
 * ```ts ignore
 * const logits = slidingWindowPredict((x) => network.forward(x), image, {
 *   patchSize: [40, 56, 40],
 *   mirrorAxes: [0, 1, 2],
 * });
 * const labels = argmaxLastAxis(logits);
 * ```
 */
export function slidingWindowPredict(
  forward: (batch: Tensor) => Tensor,
  image: Tensor,
  options: SlidingWindowOptions,
): Tensor {
  if (image.rank !== 4) {
    throw new RangeError(`sliding window needs an image (D, H, W, C), got [${image.shape}]`);
  }
  const patch = options.patchSize;
  const [d, h, w, channels] = image.shape;
  // Images smaller than the patch are padded (centred) and cropped back at the end.
  const padding = [d, h, w].map((s, a) => {
    const missing = Math.max(0, patch[a] - s);
    return [Math.floor(missing / 2), missing - Math.floor(missing / 2)] as [number, number];
  });
  const size = [d, h, w].map((s, a) => s + padding[a][0] + padding[a][1]) as [
    number,
    number,
    number,
  ];
  const windows = windowGrid(size, patch, options.stepFraction ?? 0.5);
  const batchSize = Math.max(1, options.batchSize ?? 2);
  const mirrors = mirrorCombinations(options.mirrorAxes ?? []);
  return noGrad(() =>
    scope(() => {
      const padded = padding.some(([a, b]) => a || b) ? pad(image, [...padding, [0, 0]]) : image;
      const gaussian = Tensor.from(gaussianImportanceMap(patch, options.sigmaScale), [
        ...patch,
        1,
      ]);
      let accumulated: Tensor | undefined;
      const weights = zeros([...size, 1]);
      for (let start = 0; start < windows.length; start += batchSize) {
        const group = windows.slice(start, start + batchSize);
        scope(() => {
          const crops = group.map(([z, y, x]) =>
            reshape(
              slice(padded, [
                { start: z, stop: z + patch[0] },
                { start: y, stop: y + patch[1] },
                { start: x, stop: x + patch[2] },
              ]),
              [1, ...patch, channels],
            )
          );
          const batch = crops.length === 1 ? crops[0] : concat(crops, 0);
          let sum: Tensor | undefined;
          for (const axes of mirrors) {
            const spatial = axes.map((a) => a + 1);
            const input = axes.length ? flip(batch, spatial) : batch;
            const output = forward(input);
            const restored = axes.length ? flip(output, spatial) : output;
            sum = sum ? add(sum, restored) : restored;
          }
          const logits = mirrors.length > 1 ? div(sum!, mirrors.length) : sum!;
          const classes = logits.shape[4];
          if (!accumulated) accumulated = zeros([...size, classes]).keep();
          group.forEach(([z, y, x], b) => {
            const one = reshape(slice(logits, [{ start: b, stop: b + 1 }]), [...patch, classes]);
            accumulateWeighted(accumulated!, one, gaussian, [z, y, x]);
            accumulateWeighted(weights, gaussian, undefined, [z, y, x]);
          });
        });
        options.onProgress?.(Math.min(start + batchSize, windows.length), windows.length);
      }
      const averaged = div(accumulated!, weights);
      accumulated!.dispose();
      if (!padding.some(([a, b]) => a || b)) return averaged;
      return slice(averaged, padding.map(([a], i) => ({ start: a, stop: a + [d, h, w][i] })));
    })
  );
}

/** target[region at `start`] += source · weight (weight broadcast over channels), in place. */
function accumulateWeighted(
  target: Tensor,
  source: Tensor,
  weight: Tensor | undefined,
  start: readonly [number, number, number],
): void {
  const [, th, tw, tc] = target.shape;
  const [sd, sh, sw, sc] = source.shape;
  if (sc !== tc) throw new RangeError(`accumulate: ${sc} channels into ${tc}`);
  const targetStrides = [th * tw * tc, tw * tc, tc, 1];
  const offset = start[0] * targetStrides[0] + start[1] * targetStrides[1] +
    start[2] * targetStrides[2];
  const views = [{ tensor: source, strides: [sh * sw * sc, sw * sc, sc, 1], offset: 0 }];
  if (weight) views.push({ tensor: weight, strides: [sh * sw, sw, 1, 0], offset: 0 });
  runElementwise(
    [sd, sh, sw, sc],
    "f32",
    views,
    weight ? "out[out_at] + v0 * v1" : "out[out_at] + v0",
    { into: { tensor: target, strides: targetStrides, offset } },
  );
}
