/**
 * Finding the DICOM series in a folder: every file below it is parsed, non-DICOM files are
 * set aside with a note, and images are grouped by SeriesInstanceUID (or, for files without
 * one, by image size and orientation).
 *
 * @module
 */

import { join } from "node:path";
import type { DicomImageHeader, SkippedFile, UnusableDicomFile } from "./dicom_file.ts";
import { parseDicomFile } from "./dicom_file.ts";

/** One series found in a folder. */
export interface DicomSeriesSummary {
  /**
   * The SeriesInstanceUID, or for files that have none a key made of the image size and
   * orientation (starting with `no-uid:`); pass it as `seriesUid` to read this series.
   */
  seriesInstanceUid: string;
  /** Whether the files carry a SeriesInstanceUID (false for the `no-uid:` fallback). */
  hasUid: boolean;
  seriesNumber?: number;
  seriesDescription?: string;
  modality?: string;
  /** Rows × columns of the first image. */
  rows: number;
  columns: number;
  /** Number of 2-D images (frames of multi-frame files count one each). */
  sliceCount: number;
  /** The files of the series, sorted by path. */
  files: string[];
}

/** A series with the parsed headers of its files. */
export interface ScannedSeries {
  summary: DicomSeriesSummary;
  headers: DicomImageHeader[];
  /** DICOM images of this series that cannot be read. */
  unusable: UnusableDicomFile[];
}

/** Everything found in a folder. */
export interface ScannedFolder {
  /** Largest first (most slices), then by SeriesNumber. */
  series: ScannedSeries[];
  /** Files that are not DICOM images, with the reason. */
  skipped: SkippedFile[];
  /** Unusable DICOM images whose series is unknown (no UID). */
  orphans: UnusableDicomFile[];
}

async function listFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) files.push(...await listFiles(path));
    else if (entry.isFile || entry.isSymlink) files.push(path);
  }
  return files;
}

function groupKey(header: DicomImageHeader): string {
  if (header.seriesInstanceUid) return header.seriesInstanceUid;
  const orientation = header.frames[0].orientation?.map((value) => value.toFixed(3)).join(",");
  return `no-uid:${header.layout.rows}x${header.layout.columns}:${orientation ?? "unknown"}`;
}

/** A one-line description of a series, for messages. */
export function describeSeries(summary: DicomSeriesSummary): string {
  const parts = [
    summary.seriesNumber !== undefined ? `#${summary.seriesNumber}` : "",
    summary.modality ?? "",
    summary.seriesDescription ? `"${summary.seriesDescription}"` : "",
    `${summary.sliceCount} slice(s) of ${summary.columns}×${summary.rows}`,
  ].filter((part) => part !== "");
  return `${summary.seriesInstanceUid} (${parts.join(", ")})`;
}

/** Parses every file below `folder` and groups the images into series. */
export async function scanDicomFolder(folder: string): Promise<ScannedFolder> {
  const paths = (await listFiles(folder)).sort();
  const groups = new Map<string, ScannedSeries>();
  const skipped: SkippedFile[] = [];
  const unusable: UnusableDicomFile[] = [];
  for (const path of paths) {
    const parsed = parseDicomFile(path, await Deno.readFile(path));
    if ("skipped" in parsed) {
      skipped.push(parsed.skipped);
      continue;
    }
    if ("unusable" in parsed) {
      unusable.push(parsed.unusable);
      continue;
    }
    const header = parsed.header;
    const key = groupKey(header);
    let group = groups.get(key);
    if (!group) {
      group = {
        summary: {
          seriesInstanceUid: key,
          hasUid: header.seriesInstanceUid !== undefined,
          seriesNumber: header.seriesNumber,
          seriesDescription: header.seriesDescription,
          modality: header.modality,
          rows: header.layout.rows,
          columns: header.layout.columns,
          sliceCount: 0,
          files: [],
        },
        headers: [],
        unusable: [],
      };
      groups.set(key, group);
    }
    group.headers.push(header);
    group.summary.files.push(path);
    group.summary.sliceCount += header.frames.length;
  }
  const orphans: UnusableDicomFile[] = [];
  for (const file of unusable) {
    const group = file.seriesInstanceUid ? groups.get(file.seriesInstanceUid) : undefined;
    if (group) group.unusable.push(file);
    else orphans.push(file);
  }
  const series = [...groups.values()].sort((a, b) =>
    b.summary.sliceCount - a.summary.sliceCount ||
    (a.summary.seriesNumber ?? Infinity) - (b.summary.seriesNumber ?? Infinity)
  );
  return { series, skipped, orphans };
}
