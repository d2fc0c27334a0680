/**
 * Decoding the pixels of one frame of a DICOM file into a typed array, whatever the transfer
 * syntax: native (either byte order), RLE, or the JPEG family. The result is sample-planar
 * (all pixels of sample 0, then sample 1, …) and of the stored type: 8/16/32-bit, signed or
 * not as PixelRepresentation says, with signed values narrower than their container
 * sign-extended from BitsStored.
 *
 * @module
 */

import dicomParser from "dicom-parser";
import { UnsupportedVolumeFormatError, VolumeFormatError } from "../../errors.ts";
import type { VoxelArray } from "../../volume.ts";
import { decodeVoxels, deinterleaveChannels, type VoxelType } from "../voxel_codec.ts";
import type { DicomDataSet, DicomImageHeader, DicomPixelLayout } from "./dicom_file.ts";
import { UnsupportedTransferSyntaxError } from "./errors.ts";
import { decodeJpegFrame } from "./jpeg_codecs.ts";
import { decodeRleFrame } from "./rle.ts";

/** The typed-array type a layout's pixels are stored in; throws for unsupported depths. */
export function storedVoxelType(path: string, layout: DicomPixelLayout): VoxelType {
  if (layout.pixelTag === "x7fe00008") return "float32";
  if (layout.pixelTag === "x7fe00009") return "float64";
  const signed = layout.pixelRepresentation === 1;
  switch (layout.bitsAllocated) {
    case 8:
      return signed ? "int8" : "uint8";
    case 16:
      return signed ? "int16" : "uint16";
    case 32:
      return signed ? "int32" : "uint32";
  }
  throw new UnsupportedVolumeFormatError(
    path,
    `BitsAllocated ${layout.bitsAllocated} is not supported (only 8, 16 and 32)`,
    layout.bitsAllocated === 1 ? "1-bit images are overlays or masks; convert them first" : "",
  );
}

function checkSamples(header: DicomImageHeader): void {
  const { layout, path } = header;
  const photometric = layout.photometricInterpretation;
  // JPEG codecs turn YCbCr back into RGB themselves; native YCbCr would need converting.
  const decodedToRgb = header.syntax.encoding.startsWith("jpeg") && photometric.startsWith("YBR");
  const ok = layout.samplesPerPixel === 1
    ? photometric === "MONOCHROME1" || photometric === "MONOCHROME2"
    : layout.samplesPerPixel === 3 && (photometric === "RGB" || decodedToRgb);
  if (!ok) {
    throw new UnsupportedVolumeFormatError(
      path,
      `${layout.samplesPerPixel} sample(s) per pixel with PhotometricInterpretation ` +
        `${photometric} is not supported (only MONOCHROME1/2, RGB, and YBR in JPEG)`,
      photometric === "PALETTE COLOR" ? "apply the palette first" : "convert to RGB first",
    );
  }
}

/** Sign-extends values whose two's complement occupies only the low `bitsStored` bits. */
function signExtend(data: VoxelArray, layout: DicomPixelLayout): void {
  if (layout.pixelRepresentation !== 1 || layout.bitsStored >= layout.bitsAllocated) return;
  const shift = 32 - layout.bitsStored;
  for (let n = 0; n < data.length; n++) data[n] = (data[n] << shift) >> shift;
}

function pixelsPerFrame(layout: DicomPixelLayout): number {
  return layout.rows * layout.columns * layout.samplesPerPixel;
}

function decodeNative(
  header: DicomImageHeader,
  dataSet: DicomDataSet,
  frame: number,
  type: VoxelType,
): VoxelArray {
  const { layout, path } = header;
  const element = dataSet.elements[layout.pixelTag];
  const frameBytes = pixelsPerFrame(layout) * (layout.bitsAllocated / 8);
  if (element.length < (frame + 1) * frameBytes) {
    throw new VolumeFormatError(
      path,
      `Pixel Data holds ${element.length} bytes; frame ${frame + 1} of ${layout.rows}×` +
        `${layout.columns}×${layout.samplesPerPixel} at ${layout.bitsAllocated} bits needs ` +
        `${(frame + 1) * frameBytes}`,
      "the file is truncated or its header is wrong",
    );
  }
  const bytes = dataSet.byteArray as Uint8Array;
  const voxels = decodeVoxels(
    path,
    bytes,
    element.dataOffset + frame * frameBytes,
    pixelsPerFrame(layout),
    type,
    !header.syntax.bigEndian,
  );
  return layout.planarConfiguration === 1
    ? voxels
    : deinterleaveChannels(voxels, layout.samplesPerPixel);
}

/** The compressed bytes of one frame of encapsulated pixel data. */
function encapsulatedFrame(header: DicomImageHeader, dataSet: DicomDataSet, frame: number) {
  const element = dataSet.elements[header.layout.pixelTag];
  if (!element.encapsulatedPixelData) {
    throw new VolumeFormatError(
      header.path,
      `transfer syntax ${header.syntax.uid} (${header.syntax.name}) needs encapsulated ` +
        "Pixel Data, but the pixels are stored natively",
      "the file's transfer syntax is wrong",
    );
  }
  const fragments = element.fragments ?? [];
  const frameCount = header.frames.length;
  if (frameCount === 1) {
    return dicomParser.readEncapsulatedPixelDataFromFragments(
      dataSet,
      element,
      0,
      fragments.length,
    ) as Uint8Array;
  }
  if ((element.basicOffsetTable ?? []).length > 0) {
    return dicomParser.readEncapsulatedImageFrame(dataSet, element, frame) as Uint8Array;
  }
  if (fragments.length === frameCount) {
    return dicomParser.readEncapsulatedPixelDataFromFragments(
      dataSet,
      element,
      frame,
      1,
    ) as Uint8Array;
  }
  // Several fragments per frame and no offset table: JPEG frames can be found by markers.
  const table = dicomParser.createJPEGBasicOffsetTable(dataSet, element);
  return dicomParser.readEncapsulatedImageFrame(dataSet, element, frame, table) as Uint8Array;
}

async function decodeCompressed(
  header: DicomImageHeader,
  dataSet: DicomDataSet,
  frame: number,
  type: VoxelType,
): Promise<VoxelArray> {
  const { layout, path, syntax } = header;
  let compressed: Uint8Array;
  try {
    compressed = encapsulatedFrame(header, dataSet, frame);
  } catch (error) {
    if (error instanceof VolumeFormatError) throw error;
    throw new VolumeFormatError(
      path,
      `frame ${frame + 1} of the encapsulated Pixel Data cannot be located (${error})`,
      "the file is corrupt",
      { cause: error },
    );
  }
  const count = pixelsPerFrame(layout);
  if (syntax.encoding === "rle") {
    const planar = decodeRleFrame(path, compressed, layout);
    return decodeVoxels(path, planar, 0, count, type, true);
  }
  const decoded = await decodeJpegFrame(path, syntax, compressed, layout.bitsAllocated);
  if (
    decoded.width !== layout.columns || decoded.height !== layout.rows ||
    decoded.components !== layout.samplesPerPixel
  ) {
    throw new VolumeFormatError(
      path,
      `compressed frame is ${decoded.width}×${decoded.height} with ${decoded.components} ` +
        `component(s); the header says ${layout.columns}×${layout.rows} with ` +
        `${layout.samplesPerPixel}`,
      "the file is corrupt",
    );
  }
  let voxels: VoxelArray;
  if (decoded.bytesPerSample * 8 === layout.bitsAllocated) {
    voxels = decodeVoxels(path, decoded.bytes, 0, count, type, true);
  } else {
    // A codec that returns narrower samples than the container (8-bit JPEG in 16 bits).
    const narrow = decodeVoxels(
      path,
      decoded.bytes,
      0,
      count,
      decoded.bytesPerSample === 1 ? "uint8" : "uint16",
      true,
    );
    const bytesPerVoxel = layout.bitsAllocated / 8;
    voxels = decodeVoxels(path, new Uint8Array(count * bytesPerVoxel), 0, count, type, true);
    voxels.set(narrow);
  }
  // Codecs return every component interleaved, whatever PlanarConfiguration says.
  return deinterleaveChannels(voxels, layout.samplesPerPixel);
}

/**
 * Decodes frame `frame` (0-based) of a parsed file into a sample-planar typed array of
 * `rows × columns × samplesPerPixel` stored values (before RescaleSlope/Intercept).
 */
export async function decodeFramePixels(
  header: DicomImageHeader,
  dataSet: DicomDataSet,
  frame: number,
): Promise<VoxelArray> {
  const { layout, path, syntax } = header;
  checkSamples(header);
  const type = storedVoxelType(path, layout);
  let voxels: VoxelArray;
  switch (syntax.encoding) {
    case "native":
      voxels = decodeNative(header, dataSet, frame, type);
      break;
    case "unsupported":
      throw new UnsupportedTransferSyntaxError(path, syntax.uid, syntax.name);
    default:
      voxels = await decodeCompressed(header, dataSet, frame, type);
  }
  signExtend(voxels, layout);
  return voxels;
}
