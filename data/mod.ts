/**
 * Volumes, their geometry, and the medical file formats they are read from and written to.
 *
 * @example
 * ```ts ignore
 * import { readVolume, reorientToCanonical, writeVolume } from "@mipcandy/mipcandy/data";
 * const { volume, applied } = reorientToCanonical(await readVolume("case.nii.gz"));
 * await writeVolume("case_ras.nrrd", volume);
 * ```
 *
 * @module
 */

export type { Volume, VoxelArray } from "./volume.ts";
export {
  InvalidVolumeError,
  NonFiniteVoxelError,
  UnsupportedVolumeFormatError,
  VolumeFormatError,
  VolumeGeometryError,
} from "./errors.ts";
export {
  affineFromParts,
  affineParts,
  axisCodes,
  canonicalAxisTransform,
  directionFromAffine,
  identityAffine,
  invertAffine,
  invertVoxelAxisTransform,
  lpsToRasAffine,
  multiplyAffines,
  nearestOrthogonalMatrix,
  originFromAffine,
  rasToLpsAffine,
  reorientToCanonical,
  spacingFromAffine,
  transformVoxelAxes,
  undoReorientation,
  voxelToWorld,
  worldToVoxel,
} from "./geometry.ts";
export type {
  AffineParts,
  CanonicalReorientation,
  Vec3,
  VoxelAxis,
  VoxelAxisTransform,
} from "./geometry.ts";
export {
  decodeNifti,
  encodeNifti,
  readMetaImage,
  readNifti,
  readNrrd,
  readVolume,
  SUPPORTED_EXTENSIONS,
  volumeFormatOf,
  writeMetaImage,
  writeNifti,
  writeNrrd,
  writeVolume,
} from "./formats/mod.ts";
export type {
  MetaImageWriteOptions,
  NiftiAffineSource,
  NiftiHeader,
  NiftiWriteOptions,
  NonFinitePolicy,
  NrrdWriteOptions,
  ReadVolumeOptions,
  VolumeFileFormat,
  WriteVolumeOptions,
} from "./formats/mod.ts";
export * from "./sampling/mod.ts";
export * from "./augmentation/mod.ts";
export * from "./loading/mod.ts";
export * from "./datasets/mod.ts";
export * from "./inspection/mod.ts";
export * from "./preprocessing/mod.ts";
export * from "./splits/mod.ts";
