/**
 * The Gaussian importance map of sliding-window prediction: window centres count more
 * than window borders, where a network sees less context.
 *
 * @module
 */

/**
 * A separable Gaussian over a patch, σ = `sigmaScale` × patch extent per axis, scaled so
 * its maximum is 1, with zeros raised to the smallest positive value (so every voxel of a
 * window keeps some weight, as nnU-Net does). Row-major (D, H, W).
 *
 * @example
 * ```ts
 * import { gaussianImportanceMap } from "./gaussian_importance.ts";
 * const map = gaussianImportanceMap([32, 32, 32]); // 1 at the centre
 * ```
 */
export function gaussianImportanceMap(
  patchSize: readonly [number, number, number],
  sigmaScale = 1 / 8,
): Float32Array {
  const axes = patchSize.map((extent) => {
    const centre = (extent - 1) / 2;
    const sigma = Math.max(extent * sigmaScale, 1e-6);
    return Float64Array.from(
      { length: extent },
      (_, i) => Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)),
    );
  });
  const [d, h, w] = patchSize;
  const map = new Float32Array(d * h * w);
  let max = 0;
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = axes[0][z] * axes[1][y] * axes[2][x];
        map[(z * h + y) * w + x] = v;
        if (v > max) max = v;
      }
    }
  }
  let minPositive = Infinity;
  for (let i = 0; i < map.length; i++) {
    map[i] /= max;
    if (map[i] > 0 && map[i] < minPositive) minPositive = map[i];
  }
  for (let i = 0; i < map.length; i++) if (map[i] === 0) map[i] = minPositive;
  return map;
}
