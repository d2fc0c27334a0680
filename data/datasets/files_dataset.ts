/**
 * A {@link Dataset} over a list of already-resolved case files; the MSD and folder adapters
 * build their case lists and hand them here.
 *
 * @module
 */

import { loadCaseFiles } from "./case_loader.ts";
import type { CaseRef, Dataset, LoadedCase } from "./dataset.ts";
import { DatasetLayoutError, UnknownCaseError } from "./errors.ts";

/**
 * A {@link Dataset} over already-resolved case files. `source` names where the list came
 * from, for error messages about duplicate ids.
 */
export function filesDataset(
  refs: readonly CaseRef[],
  source: string,
  names: { labelNames?: Record<number, string>; channelNames?: string[] } = {},
): Dataset {
  const byId = new Map<string, CaseRef>();
  for (const ref of refs) {
    if (byId.has(ref.id)) throw new DatasetLayoutError(source, `case "${ref.id}" is listed twice`);
    byId.set(ref.id, ref);
  }
  const frozen = Object.freeze(refs.map((ref) => Object.freeze({ ...ref })));
  return {
    cases: () => frozen,
    load: (id: string): Promise<LoadedCase> => {
      const ref = byId.get(id);
      if (!ref) return Promise.reject(new UnknownCaseError(id, [...byId.keys()]));
      return loadCaseFiles(ref);
    },
    labelNames: names.labelNames,
    channelNames: names.channelNames,
  };
}
