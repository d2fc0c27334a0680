/**
 * Geometry of a DICOM series: slices sorted along the slice normal, the voxel-to-world affine
 * (converted from DICOM's LPS to RAS+), and checks that the slices are evenly spaced.
 *
 * Conventions (PS3.3 C.7.6.2): ImageOrientationPatient holds the direction of a row (the
 * direction in which the column index, our `i`, grows) then the direction of a column (`j`);
 * PixelSpacing holds the spacing between rows (along `j`) then between columns (along `i`).
 *
 * @module
 */

import { lpsToRasAffine, type Vec3 } from "../../geometry.ts";
import type { DicomFramePlacement, DicomImageHeader } from "./dicom_file.ts";
import { InconsistentDicomSeriesError } from "./errors.ts";

/** One 2-D image of a series: a frame of a file and where it lies. */
export interface DicomSlice {
  header: DicomImageHeader;
  /** Frame index within the file (0 for single-frame files). */
  frame: number;
  placement: DicomFramePlacement;
}

/** The series' slices in volume order, its affine, and what looked wrong. */
export interface SeriesGeometry {
  /** Slices sorted by position along the slice normal (k grows with the normal). */
  slices: DicomSlice[];
  /** Row-major 4×4 RAS+ affine. */
  affine: Float64Array;
  /** Irregularities (uneven spacing, missing slices, missing positions), for the caller. */
  problems: string[];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function cross(a: ArrayLike<number>, b: ArrayLike<number>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function round(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** Unit-length copy of the row and column directions; throws when they are degenerate. */
function orientationOf(folder: string, slice: DicomSlice): { row: Vec3; column: Vec3 } {
  const o = slice.placement.orientation!;
  const row: Vec3 = [o[0], o[1], o[2]];
  const column: Vec3 = [o[3], o[4], o[5]];
  const rowLength = Math.hypot(...row);
  const columnLength = Math.hypot(...column);
  if (
    rowLength < 1e-6 || columnLength < 1e-6 ||
    Math.abs(dot(row, column)) > 1e-3 * rowLength * columnLength
  ) {
    throw new InconsistentDicomSeriesError(
      slice.header.path,
      `ImageOrientationPatient [${o.join(", ")}] is not two perpendicular directions`,
      `the series in ${folder} has a corrupt orientation`,
    );
  }
  return {
    row: row.map((v) => v / rowLength) as Vec3,
    column: column.map((v) => v / columnLength) as Vec3,
  };
}

/** Step along the normal for a single slice or a series without positions. */
function nominalSliceStep(slice: DicomSlice): number {
  return slice.header.spacingBetweenSlices || slice.placement.sliceThickness || 1;
}

function lpsAffine(
  row: Vec3,
  column: Vec3,
  pixelSpacing: [number, number],
  kStep: Vec3,
  origin: Vec3,
): Float64Array {
  const [rowSpacing, columnSpacing] = pixelSpacing;
  const affine = new Float64Array(16);
  for (let axis = 0; axis < 3; axis++) {
    affine[axis * 4 + 0] = row[axis] * columnSpacing;
    affine[axis * 4 + 1] = column[axis] * rowSpacing;
    affine[axis * 4 + 2] = kStep[axis];
    affine[axis * 4 + 3] = origin[axis];
  }
  affine[15] = 1;
  return affine;
}

/** Geometry for slices without ImagePositionPatient: ordered by InstanceNumber. */
function geometryWithoutPositions(slices: DicomSlice[]): SeriesGeometry {
  const sorted = [...slices].sort((a, b) =>
    (a.header.instanceNumber ?? 0) - (b.header.instanceNumber ?? 0) ||
    a.header.path.localeCompare(b.header.path) || a.frame - b.frame
  );
  const first = sorted[0];
  const o = first.placement.orientation ?? [1, 0, 0, 0, 1, 0];
  const row: Vec3 = [o[0], o[1], o[2]];
  const column: Vec3 = [o[3], o[4], o[5]];
  const normal = cross(row, column);
  const step = nominalSliceStep(first);
  const affine = lpsAffine(
    row,
    column,
    first.placement.pixelSpacing ?? [1, 1],
    normal.map((v) => v * step) as Vec3,
    first.placement.position ?? [0, 0, 0],
  );
  const missing = [
    first.placement.position ? "" : "ImagePositionPatient",
    first.placement.orientation ? "" : "ImageOrientationPatient",
    first.placement.pixelSpacing ? "" : "PixelSpacing",
  ].filter((name) => name !== "").join(", ");
  return {
    slices: sorted,
    affine: lpsToRasAffine(affine),
    problems: [
      `${first.header.path}: no ${missing}; slices are ordered by InstanceNumber, ` +
      `${step} mm apart, and the world coordinates are not the patient's`,
    ],
  };
}

/**
 * Sorts the slices along the normal of their (shared) orientation and builds the RAS+
 * affine. The k axis is the actual step from the first to the last slice divided by the
 * number of gaps, so a gantry tilt or an oblique stack stays exact. Steps that differ from
 * the median by more than `tolerance` (relative) and slices off the line are reported in
 * `problems`; slices at the same position throw {@link InconsistentDicomSeriesError}.
 */
export function seriesGeometry(
  folder: string,
  slices: DicomSlice[],
  tolerance: number,
): SeriesGeometry {
  if (slices.some((slice) => !slice.placement.position || !slice.placement.orientation)) {
    return geometryWithoutPositions(slices);
  }
  const { row, column } = orientationOf(folder, slices[0]);
  const normal = cross(row, column);
  const distance = (slice: DicomSlice) => dot(slice.placement.position!, normal);
  const sorted = [...slices].sort((a, b) => distance(a) - distance(b));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const pixelSpacing = first.placement.pixelSpacing ?? [1, 1];
  const problems: string[] = [];
  if (!first.placement.pixelSpacing) {
    problems.push(`${first.header.path}: no PixelSpacing; assuming 1 mm`);
  }
  if (sorted.length === 1) {
    const step = nominalSliceStep(first);
    const affine = lpsAffine(
      row,
      column,
      pixelSpacing,
      normal.map((v) => v * step) as Vec3,
      first.placement.position!,
    );
    return { slices: sorted, affine: lpsToRasAffine(affine), problems };
  }
  const distances = sorted.map(distance);
  const steps = distances.slice(1).map((d, n) => d - distances[n]);
  const typical = median(steps);
  const duplicates = steps.map((step, n) => ({ step, n }))
    .filter(({ step }) => step <= Math.max(1e-3, 1e-3 * typical));
  if (duplicates.length > 0) {
    const { n } = duplicates[0];
    throw new InconsistentDicomSeriesError(
      folder,
      `${duplicates.length + 1} or more slices share a position along the slice normal ` +
        `(${sorted[n].header.path} and ${sorted[n + 1].header.path} are both at ` +
        `${round(distances[n])} mm)`,
      "the series holds several echoes, time points or duplicates; " +
        "split it or pass the folder of one of them",
    );
  }
  const gaps = sorted.length - 1;
  const from = first.placement.position!;
  const to = last.placement.position!;
  const kStep: Vec3 = [0, 1, 2].map((a) => (to[a] - from[a]) / gaps) as Vec3;
  for (let n = 0; n < steps.length; n++) {
    if (Math.abs(steps[n] - typical) > tolerance * typical) {
      const ratio = steps[n] / typical;
      const likelyMissing = ratio > 1.5 && Math.abs(ratio - Math.round(ratio)) < tolerance * 10;
      problems.push(
        `slices ${n} and ${n + 1} (${sorted[n].header.path}, ${sorted[n + 1].header.path}) ` +
          `are ${round(steps[n])} mm apart where the median step is ${round(typical)} mm` +
          (likelyMissing ? ` (${Math.round(ratio) - 1} slice(s) missing?)` : ""),
      );
    }
  }
  const stepLength = Math.hypot(...kStep);
  for (let n = 1; n < gaps; n++) {
    const position = sorted[n].placement.position!;
    const offLine = Math.hypot(...[0, 1, 2].map((a) => position[a] - (from[a] + n * kStep[a])));
    if (offLine > tolerance * stepLength && problems.length === 0) {
      problems.push(
        `slice ${n} (${sorted[n].header.path}) lies ${round(offLine)} mm from where an ` +
          "evenly spaced stack would put it",
      );
    }
  }
  const affine = lpsAffine(row, column, pixelSpacing, kStep, from);
  return { slices: sorted, affine: lpsToRasAffine(affine), problems };
}
