/**
 * Exact Euclidean distance transform on a 3-D voxel grid with anisotropic spacing.
 *
 * The squared distance to the nearest seed is separable: minimise along i, then feed the
 * result as costs to a minimisation along j, then along k. Each 1-D step is the lower envelope
 * of parabolas `s² (p − q)² + f(q)` (Felzenszwalb and Huttenlocher, 2012), linear in the line
 * length, so the whole transform is linear in the number of voxels and exact (not a chamfer
 * approximation).
 *
 * Grid layout matches {@link Volume}: `index = (k * nj + j) * ni + i`, i fastest.
 *
 * @module
 */

/** Voxel counts `[ni, nj, nk]`, i fastest. */
export type GridDims = readonly [number, number, number];
/** Voxel spacing in millimetres `[si, sj, sk]` along i, j and k. */
export type GridSpacing = readonly [number, number, number];

/**
 * Scratch buffers for one line of the 1-D transform; reused across lines so a pass over a
 * volume allocates nothing per line.
 */
interface LineScratch {
  costs: Float64Array;
  result: Float64Array;
  /** Positions of the parabolas forming the lower envelope. */
  vertices: Int32Array;
  /** Height `f(q) + s² q²` of each envelope parabola, cached for the intersections. */
  heights: Float64Array;
  /** Left end of the interval where each envelope parabola is the lowest. */
  boundaries: Float64Array;
}

function makeLineScratch(length: number): LineScratch {
  return {
    costs: new Float64Array(length),
    result: new Float64Array(length),
    vertices: new Int32Array(length),
    heights: new Float64Array(length),
    boundaries: new Float64Array(length),
  };
}

/**
 * 1-D squared-distance transform of `scratch.costs[0..length)` into `scratch.result`:
 * `result[p] = min_q (w (p − q)² + costs[q])` with `w` the squared spacing.
 * Infinite costs (no seed reachable along earlier axes) never enter the envelope, which also
 * keeps `∞ − ∞` out of the intersection formula.
 */
function transformLine(scratch: LineScratch, length: number, squaredSpacing: number): void {
  const { costs, result, vertices, heights, boundaries } = scratch;
  let top = -1;
  for (let q = 0; q < length; q++) {
    const cost = costs[q];
    if (cost === Infinity) continue;
    const height = cost + squaredSpacing * q * q;
    let boundary = -Infinity;
    while (top >= 0) {
      boundary = (height - heights[top]) / (2 * squaredSpacing * (q - vertices[top]));
      if (boundary <= boundaries[top]) top--;
      else break;
    }
    if (top < 0) boundary = -Infinity;
    top++;
    vertices[top] = q;
    heights[top] = height;
    boundaries[top] = boundary;
  }
  if (top < 0) {
    result.fill(Infinity, 0, length);
    return;
  }
  let segment = 0;
  for (let p = 0; p < length; p++) {
    while (segment < top && boundaries[segment + 1] < p) segment++;
    const offset = p - vertices[segment];
    result[p] = squaredSpacing * offset * offset + costs[vertices[segment]];
  }
}

/**
 * Runs the 1-D transform along one axis of the grid, in place.
 * `stride` is the index step along the axis; lines start at every index whose coordinate on
 * that axis is 0.
 */
function transformAxis(
  field: Float64Array,
  dims: GridDims,
  axis: 0 | 1 | 2,
  squaredSpacing: number,
): void {
  const [ni, nj, nk] = dims;
  const length = dims[axis];
  if (length <= 1) return;
  const stride = axis === 0 ? 1 : axis === 1 ? ni : ni * nj;
  const scratch = makeLineScratch(length);
  // The two axes other than `axis`, as (count, stride) pairs that enumerate line starts.
  const [outerCount, outerStride, innerCount, innerStride] = axis === 0
    ? [nk, ni * nj, nj, ni]
    : axis === 1
    ? [nk, ni * nj, ni, 1]
    : [nj, ni, ni, 1];
  for (let outer = 0; outer < outerCount; outer++) {
    for (let inner = 0; inner < innerCount; inner++) {
      const start = outer * outerStride + inner * innerStride;
      for (let p = 0, index = start; p < length; p++, index += stride) {
        scratch.costs[p] = field[index];
      }
      transformLine(scratch, length, squaredSpacing);
      for (let p = 0, index = start; p < length; p++, index += stride) {
        field[index] = scratch.result[p];
      }
    }
  }
}

function checkGrid(voxelCount: number, dims: GridDims, spacing: GridSpacing): void {
  const [ni, nj, nk] = dims;
  if (![ni, nj, nk].every((n) => Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`Grid dims must be non-negative integers, got [${dims.join(", ")}]`);
  }
  if (voxelCount !== ni * nj * nk) {
    throw new RangeError(
      `Grid of dims [${dims.join(", ")}] needs ${ni * nj * nk} voxels, got ${voxelCount}`,
    );
  }
  if (!spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new RangeError(`Spacing must be positive and finite, got [${spacing.join(", ")}]`);
  }
}

/**
 * Generalised squared distance transform of a cost field, in place:
 * `field[x] ← min_y (|x − y|² + field[y])` with `|·|` the Euclidean distance in millimetres.
 * Seeds have cost 0 and other voxels `Infinity`; a voxel with no seed anywhere stays `Infinity`.
 *
 * @example
 * ```ts
 * import { squaredDistanceTransformInPlace } from "./distance_transform.ts";
 * const field = new Float64Array([0, Infinity, Infinity]);
 * squaredDistanceTransformInPlace(field, [3, 1, 1], [2, 1, 1]); // field = [0, 4, 16]
 * ```
 */
export function squaredDistanceTransformInPlace(
  field: Float64Array,
  dims: GridDims,
  spacing: GridSpacing,
): Float64Array {
  checkGrid(field.length, dims, spacing);
  transformAxis(field, dims, 0, spacing[0] * spacing[0]);
  transformAxis(field, dims, 1, spacing[1] * spacing[1]);
  transformAxis(field, dims, 2, spacing[2] * spacing[2]);
  return field;
}

/**
 * Squared Euclidean distance (mm²) from every voxel to the nearest voxel where `isSeed` is
 * non-zero; 0 on seeds, `Infinity` everywhere when there is no seed.
 */
export function squaredDistanceToSeeds(
  isSeed: ArrayLike<number>,
  dims: GridDims,
  spacing: GridSpacing,
): Float64Array {
  const field = new Float64Array(isSeed.length);
  for (let index = 0; index < isSeed.length; index++) {
    field[index] = isSeed[index] !== 0 ? 0 : Infinity;
  }
  return squaredDistanceTransformInPlace(field, dims, spacing);
}

/**
 * Euclidean distance (mm) from every voxel centre to the nearest seed voxel centre, using
 * anisotropic spacing; 0 on seeds, `Infinity` everywhere when there is no seed.
 *
 * `scipy.ndimage.distance_transform_edt(mask, sampling=…)` equals this with the seeds being
 * the voxels where `mask` is zero.
 *
 * @example
 * ```ts
 * import { distanceToSeeds } from "./distance_transform.ts";
 * const seeds = new Uint8Array([1, 0, 0, 0]);
 * distanceToSeeds(seeds, [2, 2, 1], [3, 4, 1]); // [0, 3, 4, 5]
 * ```
 */
export function distanceToSeeds(
  isSeed: ArrayLike<number>,
  dims: GridDims,
  spacing: GridSpacing,
): Float64Array {
  const field = squaredDistanceToSeeds(isSeed, dims, spacing);
  for (let index = 0; index < field.length; index++) field[index] = Math.sqrt(field[index]);
  return field;
}
