/**
 * A dataset of volumes already in memory, for tests, synthetic data and pipelines that build
 * their own volumes.
 *
 * @module
 */

import type { CaseRef, Dataset, LoadedCase } from "./dataset.ts";
import { DatasetLayoutError, GridMismatchError, UnknownCaseError } from "./errors.ts";
import { assertSameGrid } from "./grid_check.ts";

/**
 * Wraps loaded cases as a {@link Dataset}. Grids are checked here, once. Their `imagePaths`
 * are `memory:<id>` placeholders; `load` returns the very volumes given (not copies).
 *
 * @throws {GridMismatchError} When a label does not share its image's grid.
 * @throws {DatasetLayoutError} When two cases share an id.
 *
 * @example
 * ```ts
 * import { inMemoryDataset } from "./in_memory.ts";
 * import { identityAffine } from "../geometry.ts";
 * const image = { data: new Float32Array(8), dims: [2, 2, 2] as [number, number, number],
 *   channels: 1, affine: identityAffine(), meta: {} };
 * const dataset = inMemoryDataset([{ id: "a", image }]);
 * console.assert(dataset.cases()[0].id === "a");
 * ```
 */
export function inMemoryDataset(
  cases: readonly LoadedCase[],
  labelNames?: Record<number, string>,
): Dataset {
  const byId = new Map<string, LoadedCase>();
  for (const loaded of cases) {
    if (byId.has(loaded.id)) {
      throw new DatasetLayoutError("memory", `case "${loaded.id}" is given twice`);
    }
    if (loaded.label) {
      if (loaded.label.channels !== 1) {
        throw new GridMismatchError(loaded.id, `label has ${loaded.label.channels} channels`);
      }
      assertSameGrid(loaded.id, loaded.image, loaded.label, "image", "label");
    }
    byId.set(loaded.id, loaded);
  }
  const refs: readonly CaseRef[] = Object.freeze(cases.map((loaded) => {
    const ref: CaseRef = { id: loaded.id, imagePaths: [`memory:${loaded.id}`] };
    if (loaded.label) ref.labelPath = `memory:${loaded.id}:label`;
    return Object.freeze(ref);
  }));
  return {
    cases: () => refs,
    load: (id: string): Promise<LoadedCase> => {
      const loaded = byId.get(id);
      return loaded
        ? Promise.resolve(loaded)
        : Promise.reject(new UnknownCaseError(id, [...byId.keys()]));
    },
    labelNames,
  };
}
