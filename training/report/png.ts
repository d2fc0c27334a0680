/**
 * A minimal PNG encoder for 8-bit RGB images: signature, IHDR, one IDAT holding the zlib
 * stream of the filtered scanlines, IEND. Enough for charts; no palette, alpha or interlace.
 *
 * @module
 */

import { zlibSync } from "fflate";
import { crc32 } from "../../data/formats/compression.ts";

/** The eight bytes every PNG file starts with. */
export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);

/** Thrown when the pixel buffer does not match the stated image size. */
export class PngEncodeError extends RangeError {
  /** Creates the error with a message saying what was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "PngEncodeError";
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.length);
  for (let index = 0; index < 4; index++) bytes[4 + index] = type.charCodeAt(index);
  bytes.set(data, 8);
  // The CRC covers the type and the data, not the length.
  view.setUint32(8 + data.length, crc32(bytes.subarray(4, 8 + data.length)));
  return bytes;
}

/**
 * Encodes `rgb` (row-major, 3 bytes per pixel, top row first) as a PNG file.
 * Each scanline uses the "Up" filter except the first (filter "None"): charts are mostly
 * flat colour, so differences to the row above are mostly zero and deflate well.
 *
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const white = new Uint8Array(4 * 3 * 3).fill(255);
 * const file = encodePng(4, 3, white); // a 4×3 white image
 * ```
 */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngEncodeError(`PNG size must be positive integers, got ${width}×${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new PngEncodeError(
      `A ${width}×${height} RGB image needs ${width * height * 3} bytes, got ${rgb.length}`,
    );
  }
  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive, no interlace
  const stride = width * 3;
  const filtered = new Uint8Array(height * (stride + 1));
  for (let row = 0; row < height; row++) {
    const out = row * (stride + 1);
    const line = rgb.subarray(row * stride, (row + 1) * stride);
    if (row === 0) {
      filtered[out] = 0;
      filtered.set(line, out + 1);
      continue;
    }
    filtered[out] = 2;
    const above = row * stride - stride;
    for (let index = 0; index < stride; index++) {
      filtered[out + 1 + index] = (line[index] - rgb[above + index]) & 0xff;
    }
  }
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", zlibSync(filtered, { level: 6 })),
    chunk("IEND", new Uint8Array(0)),
  ];
  const file = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    file.set(part, offset);
    offset += part.length;
  }
  return file;
}
