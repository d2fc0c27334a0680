/**
 * Where sliding windows start along each axis: as few windows as cover the image with
 * neighbours overlapping by at least (1 − step) of a patch, spread evenly (nnU-Net's rule).
 *
 * @module
 */

/**
 * Window start offsets along one axis of extent `size` for windows of `patch` voxels,
 * advancing at most `stepFraction` × `patch` (0 < stepFraction ≤ 1).
 *
 * @example
 * ```ts
 * import { windowStarts } from "./window_steps.ts";
 * windowStarts(100, 64, 0.5); // [0, 18, 36]
 * ```
 */
export function windowStarts(size: number, patch: number, stepFraction = 0.5): number[] {
  if (!(stepFraction > 0 && stepFraction <= 1)) {
    throw new RangeError(`step fraction must be in (0, 1], got ${stepFraction}`);
  }
  if (patch <= 0) throw new RangeError(`patch extent must be positive, got ${patch}`);
  if (size <= patch) return [0];
  const maxStep = patch * stepFraction;
  const count = Math.ceil((size - patch) / maxStep) + 1;
  const actual = (size - patch) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * actual));
}

/** Every window's (d, h, w) start for an image and patch size. */
export function windowGrid(
  imageSize: readonly [number, number, number],
  patchSize: readonly [number, number, number],
  stepFraction = 0.5,
): Array<[number, number, number]> {
  const [zs, ys, xs] = imageSize.map((s, a) => windowStarts(s, patchSize[a], stepFraction));
  const out: Array<[number, number, number]> = [];
  for (const z of zs) for (const y of ys) for (const x of xs) out.push([z, y, x]);
  return out;
}
