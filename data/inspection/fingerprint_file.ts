/**
 * Saving a {@link DatasetFingerprint} as JSON (atomically) and reading it back.
 *
 * @module
 */

import { atomicWriteTextFile } from "../../core/serialize/atomic_write.ts";
import { DatasetLayoutError } from "../datasets/errors.ts";
import type { DatasetFingerprint } from "./fingerprint.ts";

/** Writes the fingerprint as indented JSON; a crash mid-write leaves the old file intact. */
export async function saveFingerprint(
  path: string,
  fingerprint: DatasetFingerprint,
): Promise<void> {
  await atomicWriteTextFile(path, JSON.stringify(fingerprint, null, 1) + "\n");
}

/**
 * Reads a fingerprint saved by {@link saveFingerprint}.
 *
 * @throws {DatasetLayoutError} When the file is not a version-1 fingerprint.
 */
export async function loadFingerprint(path: string): Promise<DatasetFingerprint> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new DatasetLayoutError(path, `is not valid JSON (${error.message})`);
    }
    throw error;
  }
  const record = parsed as Partial<DatasetFingerprint> | null;
  if (
    record?.version !== 1 || !Array.isArray(record.cases) ||
    !Array.isArray(record.foregroundIntensity) || !Array.isArray(record.medianSpacing)
  ) {
    throw new DatasetLayoutError(path, "is not a version-1 dataset fingerprint", "recompute it");
  }
  return record as DatasetFingerprint;
}
