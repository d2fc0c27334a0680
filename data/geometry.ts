/**
 * Geometry of a {@link Volume}: its 4×4 row-major RAS+ affine taken apart into spacing,
 * origin and direction and put back together; voxel↔world mapping; LPS↔RAS conversion; and
 * reorientation of the voxel axes to the closest canonical RAS order (and back).
 *
 * Every operation here keeps the world coordinate of every voxel unchanged.
 *
 * @module
 */

import { VolumeGeometryError } from "./errors.ts";
import type { Volume, VoxelArray } from "./volume.ts";

/** Three numbers: a spacing, a point, or a voxel index. */
export type Vec3 = [number, number, number];

/** A voxel axis: 0 is `i`, 1 is `j`, 2 is `k`. */
export type VoxelAxis = 0 | 1 | 2;

/** The parts an affine is made of. */
export interface AffineParts {
  /** Voxel size in millimetres along i, j, k (the lengths of the affine's first 3 columns). */
  spacing: Vec3;
  /** World position (RAS+ mm) of the centre of voxel (0, 0, 0). */
  origin: Vec3;
  /** Row-major 3×3 whose columns are the unit world directions of the i, j and k axes. */
  direction: Float64Array;
}

/**
 * Permutation and flips of the voxel axes. Output axis `n` runs along input axis
 * `sourceAxes[n]`, reversed when `flips[n]` is true.
 */
export interface VoxelAxisTransform {
  /** For each output axis, the input axis it comes from. */
  sourceAxes: [VoxelAxis, VoxelAxis, VoxelAxis];
  /** For each output axis, whether it runs backwards along its input axis. */
  flips: [boolean, boolean, boolean];
}

/** A volume reoriented to canonical RAS order and the transform that was applied to it. */
export interface CanonicalReorientation {
  /** The reoriented volume (same voxels, same world positions, axes in RAS order). */
  volume: Volume;
  /** What was applied; hand it to {@link undoReorientation} to get the original layout back. */
  applied: VoxelAxisTransform;
}

type VoxelArrayConstructor = new (length: number) => VoxelArray;

/** Row-major 4×4 identity. */
export function identityAffine(): Float64Array {
  return Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
}

/** Voxel sizes: the Euclidean lengths of the affine's i, j, k columns. */
export function spacingFromAffine(affine: Float64Array): Vec3 {
  const column = (c: number) => Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
  return [column(0), column(1), column(2)];
}

/** World position of voxel (0, 0, 0): the affine's translation column. */
export function originFromAffine(affine: Float64Array): Vec3 {
  return [affine[3], affine[7], affine[11]];
}

/**
 * Row-major 3×3 of unit axis directions (the affine's columns divided by the spacing).
 * A zero-length column stays zero.
 */
export function directionFromAffine(affine: Float64Array): Float64Array {
  const spacing = spacingFromAffine(affine);
  const direction = new Float64Array(9);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      direction[row * 3 + col] = spacing[col] > 0 ? affine[row * 4 + col] / spacing[col] : 0;
    }
  }
  return direction;
}

/** Splits an affine into spacing, origin and direction. */
export function affineParts(affine: Float64Array): AffineParts {
  return {
    spacing: spacingFromAffine(affine),
    origin: originFromAffine(affine),
    direction: directionFromAffine(affine),
  };
}

/**
 * Builds an affine from its parts; `direction` defaults to the identity.
 *
 * @example
 * ```ts
 * import { affineFromParts, voxelToWorld } from "./geometry.ts";
 * const affine = affineFromParts({ spacing: [2, 2, 3], origin: [-10, 5, 0] });
 * console.assert(voxelToWorld(affine, [1, 1, 1])[0] === -8);
 * ```
 */
export function affineFromParts(
  parts: { spacing: Vec3; origin: Vec3; direction?: ArrayLike<number> },
): Float64Array {
  const direction = parts.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const affine = identityAffine();
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      affine[row * 4 + col] = direction[row * 3 + col] * parts.spacing[col];
    }
    affine[row * 4 + 3] = parts.origin[row];
  }
  return affine;
}

/** Row-major product of two 4×4 matrices. */
export function multiplyAffines(left: Float64Array, right: Float64Array): Float64Array {
  const product = new Float64Array(16);
  for (let row = 0; row < 4; row++) {
    for (let col = 0; col < 4; col++) {
      let sum = 0;
      for (let m = 0; m < 4; m++) sum += left[row * 4 + m] * right[m * 4 + col];
      product[row * 4 + col] = sum;
    }
  }
  return product;
}

/** World position (RAS+ mm) of a voxel index; fractional indices are fine. */
export function voxelToWorld(affine: Float64Array, index: Vec3): Vec3 {
  const [i, j, k] = index;
  return [
    affine[0] * i + affine[1] * j + affine[2] * k + affine[3],
    affine[4] * i + affine[5] * j + affine[6] * k + affine[7],
    affine[8] * i + affine[9] * j + affine[10] * k + affine[11],
  ];
}

/** Inverse of a 3×3 row-major matrix; throws {@link VolumeGeometryError} when singular. */
function invert3x3(m: ArrayLike<number>): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m);
  const c00 = e * i - f * h, c01 = f * g - d * i, c02 = d * h - e * g;
  const determinant = a * c00 + b * c01 + c * c02;
  const scale = Math.max(...Array.from(m, Math.abs)) || 1;
  if (!Number.isFinite(determinant) || Math.abs(determinant) <= 1e-12 * scale ** 3) {
    throw new VolumeGeometryError(
      `affine is singular (determinant ${determinant}); an axis has zero length or two axes coincide`,
    );
  }
  const r = 1 / determinant;
  return Float64Array.of(
    c00 * r,
    (c * h - b * i) * r,
    (b * f - c * e) * r,
    c01 * r,
    (a * i - c * g) * r,
    (c * d - a * f) * r,
    c02 * r,
    (b * g - a * h) * r,
    (a * e - b * d) * r,
  );
}

function linearPart(affine: Float64Array): Float64Array {
  return Float64Array.of(
    affine[0],
    affine[1],
    affine[2],
    affine[4],
    affine[5],
    affine[6],
    affine[8],
    affine[9],
    affine[10],
  );
}

/** Inverse of an affine (world → voxel); throws {@link VolumeGeometryError} when singular. */
export function invertAffine(affine: Float64Array): Float64Array {
  const inverse = invert3x3(linearPart(affine));
  const result = identityAffine();
  for (let row = 0; row < 3; row++) {
    let translation = 0;
    for (let col = 0; col < 3; col++) {
      result[row * 4 + col] = inverse[row * 3 + col];
      translation -= inverse[row * 3 + col] * affine[col * 4 + 3];
    }
    result[row * 4 + 3] = translation;
  }
  return result;
}

/** Fractional voxel index of a world position (RAS+ mm). */
export function worldToVoxel(affine: Float64Array, point: Vec3): Vec3 {
  return voxelToWorld(invertAffine(affine), point);
}

/**
 * Converts an affine between LPS and RAS world coordinates by negating world x and y.
 * The conversion is its own inverse, so the same function serves both directions.
 */
export function lpsToRasAffine(affine: Float64Array): Float64Array {
  const converted = Float64Array.from(affine);
  for (let col = 0; col < 4; col++) {
    converted[col] = -converted[col];
    converted[4 + col] = -converted[4 + col];
  }
  return converted;
}

/** Converts an RAS affine to LPS; see {@link lpsToRasAffine}. */
export function rasToLpsAffine(affine: Float64Array): Float64Array {
  return lpsToRasAffine(affine);
}

/**
 * Nearest orthogonal matrix to a row-major 3×3 (the orthogonal factor of its polar
 * decomposition), by Newton's iteration Q ← (Q + Q⁻ᵀ) / 2. Used so that a slightly sheared
 * affine still gets a clean axis assignment or quaternion. Throws when `m` is singular.
 */
export function nearestOrthogonalMatrix(m: ArrayLike<number>): Float64Array {
  let q = Float64Array.from(m);
  for (let iteration = 0; iteration < 50; iteration++) {
    const inverse = invert3x3(q);
    const next = new Float64Array(9);
    let change = 0;
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) {
        next[row * 3 + col] = 0.5 * (q[row * 3 + col] + inverse[col * 3 + row]);
        change = Math.max(change, Math.abs(next[row * 3 + col] - q[row * 3 + col]));
      }
    }
    q = next;
    if (change < 1e-13) break;
  }
  return q;
}

/**
 * The voxel-axis transform that brings an affine's axes closest to RAS order: output axis 0
 * runs towards Right, 1 towards Anterior, 2 towards Superior. Like nibabel's
 * `io_orientation`, it assigns greedily the largest entries of the nearest orthogonal matrix.
 * Throws {@link VolumeGeometryError} when the affine is singular.
 */
export function canonicalAxisTransform(affine: Float64Array): VoxelAxisTransform {
  const rotation = nearestOrthogonalMatrix(directionFromAffine(affine));
  const sourceAxes: [VoxelAxis, VoxelAxis, VoxelAxis] = [0, 1, 2];
  const flips: [boolean, boolean, boolean] = [false, false, false];
  const freeWorld = [true, true, true];
  const freeVoxel = [true, true, true];
  for (let step = 0; step < 3; step++) {
    let best = -1, bestWorld = 0, bestVoxel = 0;
    for (let world = 0; world < 3; world++) {
      for (let voxel = 0; voxel < 3; voxel++) {
        const size = Math.abs(rotation[world * 3 + voxel]);
        if (freeWorld[world] && freeVoxel[voxel] && size > best) {
          best = size;
          bestWorld = world;
          bestVoxel = voxel;
        }
      }
    }
    freeWorld[bestWorld] = false;
    freeVoxel[bestVoxel] = false;
    sourceAxes[bestWorld] = bestVoxel as VoxelAxis;
    flips[bestWorld] = rotation[bestWorld * 3 + bestVoxel] < 0;
  }
  return { sourceAxes, flips };
}

/**
 * Orientation letters of the voxel axes, such as `"RAS"` or `"LPI"`: for each of i, j, k, the
 * world direction it runs closest to (like nibabel's `aff2axcodes`).
 */
export function axisCodes(affine: Float64Array): string {
  const toCanonical = canonicalAxisTransform(affine);
  const positive = ["R", "A", "S"];
  const negative = ["L", "P", "I"];
  const codes = ["", "", ""];
  for (let world = 0; world < 3; world++) {
    const voxel = toCanonical.sourceAxes[world];
    codes[voxel] = toCanonical.flips[world] ? negative[world] : positive[world];
  }
  return codes.join("");
}

/** The transform that undoes `transform`. */
export function invertVoxelAxisTransform(transform: VoxelAxisTransform): VoxelAxisTransform {
  const sourceAxes: [VoxelAxis, VoxelAxis, VoxelAxis] = [0, 1, 2];
  const flips: [boolean, boolean, boolean] = [false, false, false];
  for (let output = 0; output < 3; output++) {
    const input = transform.sourceAxes[output];
    sourceAxes[input] = output as VoxelAxis;
    flips[input] = transform.flips[output];
  }
  return { sourceAxes, flips };
}

function isIdentityTransform(transform: VoxelAxisTransform): boolean {
  return transform.sourceAxes.every((axis, n) => axis === n) &&
    transform.flips.every((flip) => !flip);
}

function checkTransform(transform: VoxelAxisTransform): void {
  const sorted = [...transform.sourceAxes].sort();
  if (sorted[0] !== 0 || sorted[1] !== 1 || sorted[2] !== 2) {
    throw new VolumeGeometryError(
      `sourceAxes [${transform.sourceAxes}] is not a permutation of [0, 1, 2]`,
    );
  }
}

/**
 * Permutes and flips a volume's voxel axes and adjusts its affine so every voxel keeps its
 * world position. The identity transform returns a new `Volume` sharing the same data.
 */
export function transformVoxelAxes(volume: Volume, transform: VoxelAxisTransform): Volume {
  checkTransform(transform);
  if (isIdentityTransform(transform)) {
    return { ...volume, affine: Float64Array.from(volume.affine) };
  }
  const oldDims = volume.dims;
  const oldStrides = [1, oldDims[0], oldDims[0] * oldDims[1]];
  const dims: Vec3 = [0, 0, 0];
  const steps = [0, 0, 0];
  let start = 0;
  // newToOld maps homogeneous new indices to old ones; affine' = affine · newToOld.
  const newToOld = new Float64Array(16);
  newToOld[15] = 1;
  for (let n = 0; n < 3; n++) {
    const source = transform.sourceAxes[n];
    dims[n] = oldDims[source];
    const sign = transform.flips[n] ? -1 : 1;
    steps[n] = sign * oldStrides[source];
    newToOld[source * 4 + n] = sign;
    if (transform.flips[n]) {
      start += (oldDims[source] - 1) * oldStrides[source];
      newToOld[source * 4 + 3] = oldDims[source] - 1;
    }
  }
  const voxelsPerChannel = dims[0] * dims[1] * dims[2];
  const source = volume.data;
  const data = new (source.constructor as VoxelArrayConstructor)(source.length);
  for (let channel = 0; channel < volume.channels; channel++) {
    const channelBase = channel * voxelsPerChannel;
    let out = channelBase;
    for (let c = 0; c < dims[2]; c++) {
      for (let b = 0; b < dims[1]; b++) {
        let from = channelBase + start + c * steps[2] + b * steps[1];
        for (let a = 0; a < dims[0]; a++, from += steps[0]) data[out++] = source[from];
      }
    }
  }
  return {
    data,
    dims,
    channels: volume.channels,
    affine: multiplyAffines(volume.affine, newToOld),
    meta: { ...volume.meta },
  };
}

/**
 * Reorients a volume so its voxel axes run as closely as possible along R, A, S (like
 * nibabel's `as_closest_canonical`). World positions of all voxels are unchanged.
 *
 * @example
 * ```ts
 * import { axisCodes, reorientToCanonical, undoReorientation } from "./geometry.ts";
 * const volume = {
 *   data: new Uint8Array(24).map((_, n) => n),
 *   dims: [2, 3, 4] as [number, number, number],
 *   channels: 1,
 *   affine: Float64Array.of(0, 0, -2, 10, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1),
 *   meta: {},
 * };
 * const { volume: canonical, applied } = reorientToCanonical(volume);
 * console.assert(axisCodes(canonical.affine) === "RAS");
 * const restored = undoReorientation(canonical, applied);
 * console.assert(restored.data.every((v, n) => v === volume.data[n]));
 * ```
 */
export function reorientToCanonical(volume: Volume): CanonicalReorientation {
  const applied = canonicalAxisTransform(volume.affine);
  return { volume: transformVoxelAxes(volume, applied), applied };
}

/** Brings a volume reoriented by {@link reorientToCanonical} back to its original layout. */
export function undoReorientation(volume: Volume, applied: VoxelAxisTransform): Volume {
  return transformVoxelAxes(volume, invertVoxelAxisTransform(applied));
}
