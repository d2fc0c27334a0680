/**
 * NIfTI's qform: a rotation stored as the (b, c, d) part of a unit quaternion, voxel sizes in
 * pixdim, a handedness flag qfac in pixdim[0], and an offset. Converts it to an affine and
 * back.
 *
 * @module
 */

import { nearestOrthogonalMatrix, spacingFromAffine, type Vec3 } from "../geometry.ts";

/** The qform numbers of a NIfTI header. */
export interface Qform {
  /** Quaternion parts; `a` is implied as √(1 − b² − c² − d²). */
  b: number;
  c: number;
  d: number;
  /** +1 or −1: whether the k axis is flipped relative to a proper rotation. */
  qfac: number;
  /** Voxel sizes (pixdim[1..3]). */
  spacing: Vec3;
  /** World position of voxel (0, 0, 0). */
  offset: Vec3;
}

/** Row-major 4×4 affine of a qform (NIfTI "method 2"). */
export function qformToAffine(qform: Qform): Float64Array {
  let { b, c, d } = qform;
  let aSquared = 1 - (b * b + c * c + d * d);
  if (aSquared < 0) {
    // Rounding in float32 can push |(b, c, d)| past 1: it is then a 180° rotation.
    const norm = Math.hypot(b, c, d);
    b /= norm;
    c /= norm;
    d /= norm;
    aSquared = 0;
  }
  const a = Math.sqrt(aSquared);
  const rotation = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - b * b - c * c],
  ];
  const scale = [qform.spacing[0], qform.spacing[1], qform.spacing[2] * (qform.qfac < 0 ? -1 : 1)];
  const affine = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) affine[row * 4 + col] = rotation[row][col] * scale[col];
    affine[row * 4 + 3] = qform.offset[row];
  }
  affine[15] = 1;
  return affine;
}

/**
 * The qform closest to an affine. Exact when the affine's axes are orthogonal; otherwise the
 * rotation is the nearest orthogonal one (check with {@link hasOrthogonalAxes}).
 * Throws when the affine is singular.
 */
export function affineToQform(affine: Float64Array): Qform {
  const spacing = spacingFromAffine(affine);
  const direction = new Float64Array(9);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      direction[row * 3 + col] = affine[row * 4 + col] / spacing[col];
    }
  }
  const r = nearestOrthogonalMatrix(direction);
  const determinant = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) +
    r[2] * (r[3] * r[7] - r[4] * r[6]);
  const qfac = determinant < 0 ? -1 : 1;
  // A quaternion holds a proper rotation only, so a left-handed frame flips k via qfac.
  r[2] *= qfac;
  r[5] *= qfac;
  r[8] *= qfac;
  const [b, c, d] = rotationToQuaternion(r);
  return { b, c, d, qfac, spacing, offset: [affine[3], affine[7], affine[11]] };
}

/** (b, c, d) of the unit quaternion with a ≥ 0 for a proper rotation (row-major 3×3). */
function rotationToQuaternion(r: Float64Array): Vec3 {
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r;
  let a: number, b: number, c: number, d: number;
  const trace = r11 + r22 + r33 + 1;
  // Divide by the largest component to stay accurate near 180° rotations.
  if (trace > 0.5) {
    a = 0.5 * Math.sqrt(trace);
    b = (r32 - r23) / (4 * a);
    c = (r13 - r31) / (4 * a);
    d = (r21 - r12) / (4 * a);
  } else if (r11 >= r22 && r11 >= r33) {
    b = 0.5 * Math.sqrt(1 + r11 - r22 - r33);
    c = (r12 + r21) / (4 * b);
    d = (r13 + r31) / (4 * b);
    a = (r32 - r23) / (4 * b);
  } else if (r22 >= r33) {
    c = 0.5 * Math.sqrt(1 + r22 - r11 - r33);
    b = (r12 + r21) / (4 * c);
    d = (r23 + r32) / (4 * c);
    a = (r13 - r31) / (4 * c);
  } else {
    d = 0.5 * Math.sqrt(1 + r33 - r11 - r22);
    b = (r13 + r31) / (4 * d);
    c = (r23 + r32) / (4 * d);
    a = (r21 - r12) / (4 * d);
  }
  return a < 0 ? [-b, -c, -d] : [b, c, d];
}

/** Whether the affine's axes are orthogonal (so a qform can represent it exactly). */
export function hasOrthogonalAxes(affine: Float64Array, tolerance = 1e-5): boolean {
  const spacing = spacingFromAffine(affine);
  for (let p = 0; p < 3; p++) {
    for (let q = p + 1; q < 3; q++) {
      let dot = 0;
      for (let row = 0; row < 3; row++) dot += affine[row * 4 + p] * affine[row * 4 + q];
      if (Math.abs(dot) > tolerance * spacing[p] * spacing[q]) return false;
    }
  }
  return true;
}
