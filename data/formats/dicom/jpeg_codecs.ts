/**
 * The JPEG family of DICOM compressions, decoded by npm codecs that are loaded on first use
 * (they are large, and most series are uncompressed):
 *
 * - JPEG baseline / extended 8-bit: `@cornerstonejs/codec-libjpeg-turbo-8bit` (WebAssembly
 *   build of libjpeg-turbo; converts YCbCr to RGB itself).
 * - JPEG lossless (process 14): `jpeg-lossless-decoder-js`.
 * - JPEG-LS: `@cornerstonejs/codec-charls` (CharLS).
 * - JPEG 2000 (and HTJ2K where OpenJPEG supports it): `@cornerstonejs/codec-openjpeg`.
 *
 * @module
 */

import { UnsupportedTransferSyntaxError } from "./errors.ts";
import type { PixelEncoding, TransferSyntax } from "./transfer_syntax.ts";

/** What a codec produced for one frame: interleaved samples, little-endian. */
export interface DecodedJpegFrame {
  /** Sample bytes, pixel-interleaved, 1 byte per sample up to 8 bits, 2 above. */
  bytes: Uint8Array;
  /** Bytes per sample in `bytes`. */
  bytesPerSample: number;
  width: number;
  height: number;
  components: number;
}

/** The shape every cornerstone WebAssembly decoder shares. */
interface CornerstoneDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
  };
  delete(): void;
}

type CornerstoneModule = Record<string, new () => CornerstoneDecoder>;
type CornerstoneFactory = (
  module?: { print?: (text: string) => void; printErr?: (text: string) => void },
) => Promise<CornerstoneModule>;

interface LosslessDecoder {
  decode(
    buffer: ArrayBuffer,
    offset: number,
    length: number,
    numBytes: number,
  ): ArrayBufferView;
  frame: { dimX: number; dimY: number; numComp: number };
}

const modules = new Map<string, Promise<CornerstoneModule>>();

async function loadFactory(encoding: PixelEncoding): Promise<CornerstoneFactory> {
  // Literal specifiers so that `deno check` and `deno publish` can see the dependencies.
  // Inline until deno.json maps these packages; then switch to the bare names.
  switch (encoding) {
    case "jpeg-baseline":
      return (await import("@cornerstonejs/codec-libjpeg-turbo-8bit")).default;
    case "jpeg-ls":
      return (await import("@cornerstonejs/codec-charls")).default;
    default:
      return (await import("@cornerstonejs/codec-openjpeg")).default;
  }
}

function cornerstoneModule(encoding: PixelEncoding): Promise<CornerstoneModule> {
  let loaded = modules.get(encoding);
  if (!loaded) {
    // OpenJPEG prints progress to stdout; keep it quiet (its errors still throw).
    loaded = loadFactory(encoding).then((factory) =>
      factory({ print: () => {}, printErr: () => {} })
    );
    modules.set(encoding, loaded);
  }
  return loaded;
}

const DECODER_CLASS: Partial<Record<PixelEncoding, string>> = {
  "jpeg-baseline": "JPEGDecoder",
  "jpeg-ls": "JpegLSDecoder",
  "jpeg-2000": "J2KDecoder",
};

async function decodeWithCornerstone(
  encoding: PixelEncoding,
  frame: Uint8Array,
): Promise<DecodedJpegFrame> {
  const codec = await cornerstoneModule(encoding);
  const decoder = new codec[DECODER_CLASS[encoding]!]();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    return {
      // The decoded buffer is a view into WebAssembly memory, reused by the next decode.
      bytes: decoder.getDecodedBuffer().slice(),
      bytesPerSample: info.bitsPerSample > 8 ? 2 : 1,
      width: info.width,
      height: info.height,
      components: info.componentCount,
    };
  } finally {
    decoder.delete();
  }
}

async function decodeLossless(frame: Uint8Array, bitsAllocated: number): Promise<DecodedJpegFrame> {
  const { Decoder } = await import("jpeg-lossless-decoder-js");
  const decoder = new Decoder() as unknown as LosslessDecoder;
  const copy = frame.slice();
  const bytesPerSample = bitsAllocated > 8 ? 2 : 1;
  const decoded = decoder.decode(copy.buffer, 0, copy.length, bytesPerSample);
  return {
    bytes: new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength),
    bytesPerSample,
    width: decoder.frame.dimX,
    height: decoder.frame.dimY,
    components: decoder.frame.numComp,
  };
}

/**
 * Decodes one compressed frame. Codec failures (corrupt data, or a variant the codec lacks,
 * such as 12-bit JPEG) become {@link UnsupportedTransferSyntaxError} naming the file and the
 * transfer syntax.
 */
export async function decodeJpegFrame(
  path: string,
  syntax: TransferSyntax,
  frame: Uint8Array,
  bitsAllocated: number,
): Promise<DecodedJpegFrame> {
  try {
    if (syntax.encoding === "jpeg-lossless") return await decodeLossless(frame, bitsAllocated);
    return await decodeWithCornerstone(syntax.encoding, frame);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedTransferSyntaxError(
      path,
      syntax.uid,
      syntax.name,
      `the ${syntax.encoding} codec failed (${reason})`,
      { cause: error },
    );
  }
}
