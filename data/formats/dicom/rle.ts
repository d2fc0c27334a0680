/**
 * DICOM RLE Lossless (PS3.5 annex G): each frame is a 64-byte header of segment offsets and up
 * to 15 PackBits-compressed segments, one per byte plane of each sample, most significant
 * byte first.
 *
 * @module
 */

import { VolumeFormatError } from "../../errors.ts";

/** Geometry of one RLE frame. */
export interface RleFrameLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

/** Decodes one PackBits segment into `out`, which it must fill exactly. */
function decodePackBits(path: string, segment: Uint8Array, out: Uint8Array): void {
  let from = 0;
  let to = 0;
  while (to < out.length && from < segment.length) {
    const header = segment[from++];
    if (header < 128) {
      // Literal run of header + 1 bytes.
      const end = from + header + 1;
      if (end > segment.length || to + header + 1 > out.length) break;
      out.set(segment.subarray(from, end), to);
      to += header + 1;
      from = end;
    } else if (header > 128) {
      // Replicate run: the next byte, 257 - header times.
      const count = 257 - header;
      if (from >= segment.length || to + count > out.length) break;
      out.fill(segment[from++], to, to + count);
      to += count;
    }
    // 128 is a no-op by definition.
  }
  if (to !== out.length) {
    throw new VolumeFormatError(
      path,
      `RLE segment decodes to ${to} bytes where ${out.length} were expected`,
      "the pixel data is truncated or corrupt",
    );
  }
}

/**
 * Decodes one RLE frame into little-endian bytes, sample-planar (all pixels of sample 0,
 * then sample 1, …), which is the layout the series assembler wants.
 */
export function decodeRleFrame(
  path: string,
  frame: Uint8Array,
  layout: RleFrameLayout,
): Uint8Array {
  const bytesPerSample = layout.bitsAllocated / 8;
  const pixels = layout.rows * layout.columns;
  const expectedSegments = layout.samplesPerPixel * bytesPerSample;
  if (frame.length < 64) {
    throw new VolumeFormatError(path, `RLE frame of ${frame.length} bytes has no 64-byte header`);
  }
  const header = new DataView(frame.buffer, frame.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== expectedSegments) {
    throw new VolumeFormatError(
      path,
      `RLE frame has ${segments} segments; ${layout.samplesPerPixel} sample(s) of ` +
        `${layout.bitsAllocated} bits need ${expectedSegments}`,
      "the pixel data does not match its header",
    );
  }
  const offsets: number[] = [];
  for (let n = 0; n < segments; n++) offsets.push(header.getUint32(4 + 4 * n, true));
  offsets.push(frame.length);
  const out = new Uint8Array(pixels * expectedSegments);
  const plane = new Uint8Array(pixels);
  for (let sample = 0; sample < layout.samplesPerPixel; sample++) {
    for (let byte = 0; byte < bytesPerSample; byte++) {
      const n = sample * bytesPerSample + byte;
      if (offsets[n] < 64 || offsets[n] > offsets[n + 1]) {
        throw new VolumeFormatError(path, `RLE segment ${n} has a bad offset ${offsets[n]}`);
      }
      decodePackBits(path, frame.subarray(offsets[n], offsets[n + 1]), plane);
      // Segment 0 holds the most significant byte; little-endian puts it last.
      const significance = bytesPerSample - 1 - byte;
      const base = sample * pixels * bytesPerSample + significance;
      for (let p = 0; p < pixels; p++) out[base + p * bytesPerSample] = plane[p];
    }
  }
  return out;
}
