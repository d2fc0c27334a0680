/**
 * gzip and zlib for the volume formats, checked end to end: a truncated or corrupt stream
 * becomes a {@link VolumeFormatError} naming the file, never a low-level exception or silently
 * short data. Deflate itself comes from `fflate`; the container framing and checksums are
 * verified here because fflate trusts them.
 *
 * @module
 */

import { deflateSync, gzipSync, inflateSync } from "fflate";
import { VolumeFormatError } from "../errors.ts";

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as used by the gzip trailer. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let n = 0; n < bytes.length; n++) crc = CRC_TABLE[(crc ^ bytes[n]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Adler-32 as used by the zlib trailer. */
export function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  // 5552 is the longest run whose sums cannot overflow before the modulo.
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(start + 5552, bytes.length);
    for (let n = start; n < end; n++) {
      a += bytes[n];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Whether `bytes` starts with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function inflateOrThrow(path: string, what: string, body: Uint8Array, out?: Uint8Array) {
  try {
    return out ? inflateSync(body, { out }) : inflateSync(body);
  } catch (error) {
    throw new VolumeFormatError(
      path,
      `${what} data is truncated or corrupt (${(error as Error).message})`,
      "re-export or re-download the file",
      { cause: error },
    );
  }
}

/** Length of the gzip member header (RFC 1952), with its optional fields. */
function gzipHeaderLength(path: string, bytes: Uint8Array): number {
  const corrupt = (problem: string) =>
    new VolumeFormatError(path, `gzip header is corrupt: ${problem}`, "re-export the file");
  if (bytes.length < 18) throw corrupt(`only ${bytes.length} bytes`);
  if (bytes[2] !== 8) throw corrupt(`compression method ${bytes[2]} is not deflate`);
  const flags = bytes[3];
  let at = 10;
  if (flags & 4) at += 2 + (bytes[10] | (bytes[11] << 8));
  for (const flag of [8, 16]) {
    if (flags & flag) {
      while (at < bytes.length && bytes[at] !== 0) at++;
      at++;
    }
  }
  if (flags & 2) at += 2;
  if (at + 8 > bytes.length) throw corrupt("header runs past the end of the file");
  return at;
}

/** Decompresses a single-member gzip file, checking its length and CRC-32. */
export function gunzipVolumeBytes(path: string, bytes: Uint8Array): Uint8Array {
  const body = bytes.subarray(gzipHeaderLength(path, bytes), bytes.length - 8);
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const expectedCrc = trailer.getUint32(0, true);
  const expectedLength = trailer.getUint32(4, true);
  // The trailer holds the length modulo 2^32; trust it for preallocation only when plausible.
  const plausible = expectedLength >= body.length / 2 && expectedLength <= 1032 * body.length + 64;
  const inflated = inflateOrThrow(
    path,
    "gzip",
    body,
    plausible ? new Uint8Array(expectedLength) : undefined,
  );
  if (inflated.length % 2 ** 32 !== expectedLength || crc32(inflated) !== expectedCrc) {
    throw new VolumeFormatError(
      path,
      "gzip data is truncated or corrupt (length or CRC-32 does not match the trailer)",
      "re-export or re-download the file",
    );
  }
  return inflated;
}

/** Decompresses a zlib stream (RFC 1950), checking its header and Adler-32. */
export function unzlibVolumeBytes(path: string, bytes: Uint8Array): Uint8Array {
  const validHeader = bytes.length >= 6 && (bytes[0] & 0x0f) === 8 &&
    ((bytes[0] << 8) | bytes[1]) % 31 === 0 && (bytes[1] & 0x20) === 0;
  if (!validHeader) {
    throw new VolumeFormatError(
      path,
      "compressed data does not start with a zlib header",
      "the file may be corrupt, or CompressedData is set on uncompressed data",
    );
  }
  const inflated = inflateOrThrow(path, "zlib", bytes.subarray(2, bytes.length - 4));
  const view = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4);
  if (adler32(inflated) !== view.getUint32(0, false)) {
    throw new VolumeFormatError(
      path,
      "zlib data is truncated or corrupt (Adler-32 does not match)",
      "re-export or re-download the file",
    );
  }
  return inflated;
}

/** gzip-compresses bytes (level 6, the usual trade of size against time). */
export function gzipBytes(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6 });
}

/** zlib-compresses bytes (header, deflate, Adler-32), as MetaImage's CompressedData expects. */
export function zlibBytes(bytes: Uint8Array): Uint8Array {
  const deflated = deflateSync(bytes, { level: 6 });
  const out = new Uint8Array(deflated.length + 6);
  out[0] = 0x78;
  out[1] = 0x9c;
  out.set(deflated, 2);
  new DataView(out.buffer).setUint32(out.length - 4, adler32(bytes), false);
  return out;
}
