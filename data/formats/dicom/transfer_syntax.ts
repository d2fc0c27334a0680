/**
 * DICOM transfer syntaxes: how a file's data set and pixels are encoded, by UID.
 *
 * @module
 */

/** How the pixel data of a transfer syntax is stored, which picks its decoder. */
export type PixelEncoding =
  | "native"
  | "rle"
  | "jpeg-baseline"
  | "jpeg-lossless"
  | "jpeg-ls"
  | "jpeg-2000"
  | "unsupported";

/** What the reader knows about one transfer syntax. */
export interface TransferSyntax {
  /** The UID, such as `1.2.840.10008.1.2.1`. */
  uid: string;
  /** The name the standard gives it. */
  name: string;
  /** How its pixels are encoded. */
  encoding: PixelEncoding;
  /** Whether native pixel data is big endian (only Explicit VR Big Endian). */
  bigEndian: boolean;
}

const KNOWN: [string, string, PixelEncoding][] = [
  ["1.2.840.10008.1.2", "Implicit VR Little Endian", "native"],
  ["1.2.840.10008.1.2.1", "Explicit VR Little Endian", "native"],
  ["1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", "native"],
  ["1.2.840.10008.1.2.2", "Explicit VR Big Endian", "native"],
  ["1.2.840.10008.1.2.5", "RLE Lossless", "rle"],
  ["1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "jpeg-baseline"],
  ["1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", "jpeg-baseline"],
  ["1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", "jpeg-lossless"],
  [
    "1.2.840.10008.1.2.4.70",
    "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
    "jpeg-lossless",
  ],
  ["1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", "jpeg-ls"],
  ["1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)", "jpeg-ls"],
  ["1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", "jpeg-2000"],
  ["1.2.840.10008.1.2.4.91", "JPEG 2000", "jpeg-2000"],
  ["1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", "jpeg-2000"],
  [
    "1.2.840.10008.1.2.4.202",
    "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
    "jpeg-2000",
  ],
  ["1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", "jpeg-2000"],
  ["1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 & 5, retired)", "unsupported"],
  ["1.2.840.10008.1.2.4.53", "JPEG Spectral Selection (retired)", "unsupported"],
  ["1.2.840.10008.1.2.4.55", "JPEG Full Progression (retired)", "unsupported"],
  ["1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component (Lossless Only)", "unsupported"],
  ["1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", "unsupported"],
  ["1.2.840.10008.1.2.4.94", "JPIP Referenced", "unsupported"],
  ["1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", "unsupported"],
  ["1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", "unsupported"],
  ["1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level", "unsupported"],
  ["1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", "unsupported"],
  ["1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile", "unsupported"],
  ["1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile for 2D Video", "unsupported"],
  ["1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile for 3D Video", "unsupported"],
  ["1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile", "unsupported"],
  ["1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile", "unsupported"],
  ["1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile", "unsupported"],
  ["1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation (retired)", "unsupported"],
  ["1.2.840.10008.1.2.6.2", "XML Encoding (retired)", "unsupported"],
];

const BY_UID: Map<string, TransferSyntax> = new Map(
  KNOWN.map(([uid, name, encoding]) => [
    uid,
    { uid, name, encoding, bigEndian: uid === "1.2.840.10008.1.2.2" },
  ]),
);

/** The UID files without a file meta header are read with. */
export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";

/** The UID of Deflated Explicit VR Little Endian, whose data set must be inflated. */
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";

/** Looks a transfer syntax up; unknown UIDs come back as "unsupported" with name "unknown". */
export function transferSyntaxOf(uid: string): TransferSyntax {
  return BY_UID.get(uid) ??
    { uid, name: "unknown transfer syntax", encoding: "unsupported", bigEndian: false };
}
