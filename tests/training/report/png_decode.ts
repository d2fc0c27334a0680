/**
 * An independent PNG reader for the tests: checks the signature and every chunk CRC (with a
 * bitwise CRC-32, not the encoder's table), inflates IDAT and undoes all five filters.
 */

import assert from "node:assert/strict";
import { unzlibSync } from "fflate";

function bitwiseCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A decoded RGB8 PNG and the chunk types in file order. */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  chunkTypes: string[];
  rgb: Uint8Array;
  pixel(x: number, y: number): string;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes an 8-bit RGB PNG, asserting its structure on the way. */
export function decodePng(file: Uint8Array): DecodedPng {
  assert.deepEqual([...file.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "signature");
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const chunkTypes: string[] = [];
  const idat: Uint8Array[] = [];
  let header: Uint8Array | undefined;
  let offset = 8;
  while (offset < file.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(file.subarray(offset + 4, offset + 8));
    const data = file.subarray(offset + 8, offset + 8 + length);
    const crc = view.getUint32(offset + 8 + length);
    assert.equal(crc, bitwiseCrc32(file.subarray(offset + 4, offset + 8 + length)), `${type} CRC`);
    chunkTypes.push(type);
    if (type === "IHDR") header = data;
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  assert.equal(offset, file.length, "chunks end exactly at the end of the file");
  assert.ok(header !== undefined, "IHDR present");
  const headerView = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const width = headerView.getUint32(0);
  const height = headerView.getUint32(4);
  const [bitDepth, colorType, , , interlace] = header.subarray(8, 13);
  const compressed = new Uint8Array(idat.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of idat) {
    compressed.set(part, at);
    at += part.length;
  }
  const raw = unzlibSync(compressed);
  const stride = width * 3;
  assert.equal(raw.length, height * (stride + 1), "inflated size matches IHDR");
  const rgb = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const filter = raw[row * (stride + 1)];
    for (let index = 0; index < stride; index++) {
      const value = raw[row * (stride + 1) + 1 + index];
      const left = index >= 3 ? rgb[row * stride + index - 3] : 0;
      const up = row > 0 ? rgb[(row - 1) * stride + index] : 0;
      const upLeft = row > 0 && index >= 3 ? rgb[(row - 1) * stride + index - 3] : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      assert.ok(predictor !== undefined, `filter type ${filter} is valid`);
      rgb[row * stride + index] = (value + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    bitDepth,
    colorType,
    interlace,
    chunkTypes,
    rgb,
    pixel(x, y) {
      const start = (y * width + x) * 3;
      return "#" + [...rgb.subarray(start, start + 3)].map((v) => v.toString(16).padStart(2, "0"))
        .join("");
    },
  };
}
