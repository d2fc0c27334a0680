/**
 * The one interface every dataset adapter implements: a list of cases, each with one file per
 * image channel and an optional label, and a loader that returns the channels stacked into
 * one {@link Volume}.
 *
 * @module
 */

import type { Volume } from "../volume.ts";

/** Where one case's files are. */
export interface CaseRef {
  /** Unique case identifier, e.g. `hippocampus_001`. */
  id: string;
  /**
   * One path per file making up the image, in channel order. A single multi-channel file
   * (an MSD 4-D NIfTI) is one entry; nnU-Net v2's `_0000`, `_0001` files are several.
   */
  imagePaths: string[];
  /** The label map's path, when the case has one. */
  labelPath?: string;
}

/** A loaded case: its image (all channels stacked) and its label on the same grid. */
export interface LoadedCase {
  /** Case identifier. */
  id: string;
  /** The image; `channels` is the total over all its files. */
  image: Volume;
  /** The label map (one channel, same dims and affine as the image), when there is one. */
  label?: Volume;
}

/** A collection of cases that can be listed and loaded one at a time. */
export interface Dataset {
  /** Every case, in a stable order (sorted by id unless the source lists an order). */
  cases(): readonly CaseRef[];
  /**
   * Reads one case. Throws `UnknownCaseError` for an id not in {@link cases},
   * `MissingCaseFileError` for a missing file and `GridMismatchError` when the label (or a
   * channel) does not share the image's grid.
   */
  load(id: string): Promise<LoadedCase>;
  /** Label values and their names (`0` is background), when the dataset declares them. */
  readonly labelNames?: Readonly<Record<number, string>>;
  /** Channel names in channel order (e.g. `["T1", "T2"]`), when declared. */
  readonly channelNames?: readonly string[];
}
