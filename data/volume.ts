/**
 * The volume type shared by every reader, writer and preprocessing step.
 *
 * Geometry convention: world coordinates are RAS+ millimetres (x grows towards the patient's
 * Right, y towards Anterior, z towards Superior), as in nibabel and MONAI. DICOM, MetaImage and
 * NRRD files store LPS; their readers and writers convert (negate world x and y).
 *
 * Voxel order: index `i` runs fastest, then `j`, then `k`, then the channel, exactly as
 * NIfTI stores them. A tensor view of one channel is therefore (D, H, W) = (nk, nj, ni).
 *
 * @module
 */

/** Typed arrays a volume's voxels may be stored in. */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A 3-D image with one or more channels and its voxel-to-world geometry. */
export interface Volume {
  /** Voxels, channel-major: `data[((c * nk + k) * nj + j) * ni + i]`. */
  data: VoxelArray;
  /** Voxel counts `[ni, nj, nk]` along the i (fastest), j and k axes. */
  dims: [number, number, number];
  /** Number of channels (modalities or time points); 1 for a plain 3-D image. */
  channels: number;
  /**
   * Row-major 4×4 affine from voxel indices `(i, j, k, 1)` to RAS+ world millimetres.
   * Its columns are the axes' directions scaled by spacing; its last column the origin.
   */
  affine: Float64Array;
  /** Facts from the source file (format, datatype, description, header fields). */
  meta: Record<string, unknown>;
}
