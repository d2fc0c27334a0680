/**
 * Spatial augmentation: composes each sample's rotation, scaling, mirroring and centre crop
 * into one affine map from output voxel to input voxel, and resamples image (trilinear) and
 * label (nearest) through it in a single GPU pass.
 *
 * @module
 */

import { dispatch } from "../../core/command_queue.ts";
import { bindTensor } from "../../core/ops/run_kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { foldGrid } from "../../shaders/grid.ts";
import { affineResampleKernel } from "../../shaders/augmentation_spatial.ts";
import type { SampleAugmentation, Triple } from "./parameters.ts";

/** Raised when tensors given to augmentation have the wrong shapes or types. */
export class AugmentationShapeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AugmentationShapeError";
  }
}

type Matrix3 = [Triple, Triple, Triple];

function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const out: Matrix3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    }
  }
  return out;
}

/** Rotation by the angles about the D, H and W axes, as `R_D · R_H · R_W` on (d, h, w). */
export function rotationMatrix([aboutD, aboutH, aboutW]: Triple): Matrix3 {
  const c = Math.cos, s = Math.sin;
  const rd: Matrix3 = [[1, 0, 0], [0, c(aboutD), -s(aboutD)], [0, s(aboutD), c(aboutD)]];
  const rh: Matrix3 = [[c(aboutH), 0, s(aboutH)], [0, 1, 0], [-s(aboutH), 0, c(aboutH)]];
  const rw: Matrix3 = [[c(aboutW), -s(aboutW), 0], [s(aboutW), c(aboutW), 0], [0, 0, 1]];
  return multiply(multiply(rd, rh), rw);
}

/** Snaps values within 1e-9 of an integer (cos 90° = 6e-17) so right angles stay exact. */
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-9 ? r : v;
}

/**
 * The row-major 3×4 map from output voxel `(d, h, w, 1)` to input voxel for one sample:
 * `in = c_in + s·R·(mirror(o) − c_out)`, where `c_out = (out − 1)/2` and
 * `c_in = c_out + ⌊(in − out)/2⌋`, so without rotation and scaling it is an integer shift
 * (an exact centre crop).
 */
export function spatialMatrix(
  sample: Pick<SampleAugmentation, "rotation" | "scale" | "mirror">,
  inputSize: readonly [number, number, number],
  outputSize: readonly [number, number, number],
): Float64Array {
  const scale = sample.scale ?? 1;
  const rotation = sample.rotation ? rotationMatrix(sample.rotation) : rotationMatrix([0, 0, 0]);
  const out = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    const centreOut = (outputSize[i] - 1) / 2;
    const centreIn = centreOut + Math.floor((inputSize[i] - outputSize[i]) / 2);
    let shift = centreIn;
    for (let j = 0; j < 3; j++) {
      const sign = sample.mirror[j] ? -1 : 1;
      const entry = scale * rotation[i][j];
      out[i * 4 + j] = snap(entry * sign);
      // mirror(o)_j − c_out_j = sign·o_j + (mirrored ? size − 1 : 0) − c_out_j
      const constant = (sample.mirror[j] ? outputSize[j] - 1 : 0) - (outputSize[j] - 1) / 2;
      shift += entry * constant;
    }
    out[i * 4 + 3] = snap(shift);
  }
  return out;
}

/**
 * Resamples a batch: image (N, Di, Hi, Wi, C) f32 and label (N, Di, Hi, Wi) i32 through
 * per-sample 3×4 matrices (12·N floats) to `outputSize`. Returns new tensors; the inputs
 * stay untouched.
 */
export function resampleAffine(
  image: Tensor,
  label: Tensor,
  matrices: Float32Array,
  outputSize: readonly [number, number, number],
  fill: { image: number; label: number } = { image: 0, label: 0 },
): { image: Tensor; label: Tensor } {
  if (image.rank !== 5 || image.dtype !== "f32") {
    throw new AugmentationShapeError(
      `image must be (N, D, H, W, C) f32, got [${image.shape}] ${image.dtype}`,
    );
  }
  const [batch, depth, height, width, channels] = image.shape;
  if (label.dtype !== "i32" || label.shape.join() !== [batch, depth, height, width].join()) {
    throw new AugmentationShapeError(
      `label must be (N, D, H, W) i32 matching image [${image.shape}], got [${label.shape}] ` +
        label.dtype,
    );
  }
  if (matrices.length !== 12 * batch) {
    throw new AugmentationShapeError(`${matrices.length} matrix values for ${batch} samples`);
  }
  const outImage = new Tensor([batch, ...outputSize, channels], "f32");
  const outLabel = new Tensor([batch, ...outputSize], "i32");
  const matrixTensor = Tensor.from(matrices, [batch, 12], "f32");
  const { code, groups } = affineResampleKernel({
    input: { batch, size: [depth, height, width], channels },
    outputSize,
    imageFill: fill.image,
    labelFill: fill.label,
  });
  dispatch(
    code,
    [outImage, outLabel, image, label, matrixTensor].map(bindTensor),
    foldGrid(groups),
  );
  matrixTensor.dispose();
  return { image: outImage, label: outLabel };
}
