/**
 * Sliding-window prediction over a whole volume: windows batched through the network,
 * optional mirror test-time augmentation, logits weighted by a Gaussian importance map
 * and accumulated on the GPU, then normalised by the accumulated weights.
 *
 * @module
 */

import {
  add,
  BindingLimitError,
  concat,
  copyElements,
  deviceLimit,
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

/** Elements that fit in one storage binding. */
function bindingElements(): number {
  return Math.floor(deviceLimit("maxStorageBufferBindingSize") / 4);
}

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
  const [d, h, w] = image.shape;
  // Images smaller than the patch are padded (centred) and cropped back at the end.
  const padding = [d, h, w].map((s, a) => {
    const missing = Math.max(0, patch[a] - s);
    return [Math.floor(missing / 2), missing - Math.floor(missing / 2)] as [number, number];
  });
  const size = [d, h, w].map((s, a) => s + padding[a][0] + padding[a][1]) as Extent3;
  const windows = windowGrid(size, patch, options.stepFraction ?? 0.5);
  const batchSize = Math.max(1, options.batchSize ?? 2);
  const mirrors = mirrorCombinations(options.mirrorAxes ?? []);
  return noGrad(() =>
    scope(() => {
      const crops = new WindowCropper(image, padding, patch);
      const gaussian = Tensor.from(gaussianImportanceMap(patch, options.sigmaScale), [
        ...patch,
        1,
      ]);
      let bands: Band[] | undefined;
      for (let start = 0; start < windows.length; start += batchSize) {
        const group = windows.slice(start, start + batchSize);
        scope(() => {
          const batch = crops.batch(group);
          let sum: Tensor | undefined;
          for (const axes of mirrors) {
            const spatial = axes.map((a) => a + 1);
            const input = axes.length ? flip(batch, spatial) : batch;
            const output = forward(input);
            const restored = axes.length ? flip(output, spatial) : output;
            sum = sum ? add(sum, restored) : restored;
          }
          const logits = mirrors.length > 1 ? div(sum!, mirrors.length) : sum!;
          bands ??= makeBands(size, logits.shape[4]);
          group.forEach((corner, b) => {
            const one = reshape(slice(logits, [{ start: b, stop: b + 1 }]), [
              ...patch,
              logits.shape[4],
            ]);
            for (const band of bands!) band.add(one, gaussian, corner);
          });
        });
        options.onProgress?.(Math.min(start + batchSize, windows.length), windows.length);
      }
      return assemble(bands!, size, [d, h, w], padding);
    })
  );
}

type Extent3 = [number, number, number];

/**
 * Cuts windows out of the image. An image that fits one storage binding is padded once and
 * sliced; a larger one is copied row by row into each window (zeros where it is padding).
 */
class WindowCropper {
  #image: Tensor;
  #padded: Tensor | undefined;
  #padding: Array<[number, number]>;
  #patch: Extent3;

  constructor(image: Tensor, padding: Array<[number, number]>, patch: Extent3) {
    this.#image = image;
    this.#padding = padding;
    this.#patch = patch;
    const paddedSize = image.shape.reduce((n, s, a) =>
      n * (s + (padding[a]?.[0] ?? 0) +
        (padding[a]?.[1] ?? 0)), 1);
    if (paddedSize <= bindingElements()) {
      const padded = padding.some(([a, b]) => a || b);
      this.#padded = padded ? pad(image, [...padding, [0, 0]]) : image;
    }
  }

  /** The windows at `corners` (padded coordinates) as a batch (B, d, h, w, C). */
  batch(corners: Extent3[]): Tensor {
    const crops = corners.map((corner) => this.#crop(corner));
    return crops.length === 1 ? crops[0] : concat(crops, 0);
  }

  #crop([z, y, x]: Extent3): Tensor {
    const patch = this.#patch;
    const channels = this.#image.shape[3];
    if (this.#padded) {
      return reshape(
        slice(this.#padded, [
          { start: z, stop: z + patch[0] },
          { start: y, stop: y + patch[1] },
          { start: x, stop: x + patch[2] },
        ]),
        [1, ...patch, channels],
      );
    }
    const [d, h, w] = this.#image.shape;
    const [pz, py, px] = patch;
    const out = zeros([1, pz, py, px, channels]);
    const x0 = x - this.#padding[2][0];
    const first = Math.max(0, x0);
    const last = Math.min(w, x0 + px);
    if (last <= first) return out;
    for (let dz = 0; dz < pz; dz++) {
      const sz = z + dz - this.#padding[0][0];
      if (sz < 0 || sz >= d) continue;
      for (let dy = 0; dy < py; dy++) {
        const sy = y + dy - this.#padding[1][0];
        if (sy < 0 || sy >= h) continue;
        const from = ((sz * h + sy) * w + first) * channels;
        const to = ((dz * py + dy) * px + (first - x0)) * channels;
        copyElements(this.#image, from, out, to, (last - first) * channels);
      }
    }
    return out;
  }
}

/**
 * The accumulators of one depth band [first, last) of the padded volume: Gaussian-weighted
 * logit sums and weight sums. Volumes whose accumulator exceeds one storage binding are
 * covered by several bands; a window straddling two adds its part to each.
 */
class Band {
  readonly first: number;
  readonly last: number;
  readonly logits: Tensor;
  readonly weights: Tensor;

  constructor(first: number, last: number, size: Extent3, classes: number) {
    this.first = first;
    this.last = last;
    this.logits = zeros([last - first, size[1], size[2], classes]).keep();
    this.weights = zeros([last - first, size[1], size[2], 1]).keep();
  }

  /** Adds one window's logits (d, h, w, K) with corner `[z, y, x]` where it overlaps. */
  add(logits: Tensor, gaussian: Tensor, [z, y, x]: Extent3): void {
    const depth = logits.shape[0];
    const from = Math.max(z, this.first);
    const to = Math.min(z + depth, this.last);
    if (to <= from) return;
    const whole = from === z && to === z + depth;
    const part = (t: Tensor) => whole ? t : slice(t, [{ start: from - z, stop: to - z }]);
    const corner: Extent3 = [from - this.first, y, x];
    accumulateWeighted(this.logits, part(logits), part(gaussian), corner);
    accumulateWeighted(this.weights, part(gaussian), undefined, corner);
  }

  dispose(): void {
    this.logits.dispose();
    this.weights.dispose();
  }
}

/** Depth bands of the padded volume whose accumulators each fit one storage binding. */
function makeBands(size: Extent3, classes: number): Band[] {
  const plane = size[1] * size[2] * classes;
  const planes = Math.min(size[0], Math.floor(bindingElements() / plane));
  if (planes < 1) {
    throw new BindingLimitError(
      `sliding window: one plane of logits (${size[1]}×${size[2]}×${classes}) exceeds the ` +
        `adapter's storage binding limit (${bindingElements() * 4} bytes)`,
    );
  }
  const bands: Band[] = [];
  for (let first = 0; first < size[0]; first += planes) {
    bands.push(new Band(first, Math.min(size[0], first + planes), size, classes));
  }
  return bands;
}

/** Averages each band and gathers the image's region (padding removed) into one tensor. */
function assemble(
  bands: Band[],
  size: Extent3,
  extent: Extent3,
  padding: Array<[number, number]>,
): Tensor {
  const padded = padding.some(([a, b]) => a || b);
  if (bands.length === 1) {
    const averaged = div(bands[0].logits, bands[0].weights);
    bands[0].dispose();
    if (!padded) return averaged;
    return slice(averaged, padding.map(([a], i) => ({ start: a, stop: a + extent[i] })));
  }
  const classes = bands[0].logits.shape[3];
  const [d, h, w] = extent;
  const out = new Tensor([d, h, w, classes], "f32");
  for (const band of bands) {
    const averaged = div(band.logits, band.weights);
    band.dispose();
    for (let z = band.first; z < band.last; z++) {
      const oz = z - padding[0][0];
      if (oz < 0 || oz >= d) continue;
      for (let y = 0; y < h; y++) {
        const from = (((z - band.first) * size[1] + y + padding[1][0]) * size[2] +
          padding[2][0]) * classes;
        copyElements(averaged, from, out, ((oz * h + y) * w) * classes, w * classes);
      }
    }
    averaged.dispose();
  }
  return out;
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
