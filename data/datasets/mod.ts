/**
 * Dataset adapters behind one interface: MSD / nnU-Net folders, plain image/label folders
 * and in-memory volumes.
 *
 * @example
 * ```ts ignore
 * import { openMsdDataset } from "./mod.ts";
 * const dataset = await openMsdDataset("/data/Task04_Hippocampus");
 * for (const ref of dataset.cases()) {
 *   const { image, label } = await dataset.load(ref.id);
 * }
 * ```
 *
 * @module
 */

export type { CaseRef, Dataset, LoadedCase } from "./dataset.ts";
export {
  DatasetLayoutError,
  GridMismatchError,
  MissingCaseFileError,
  UnknownCaseError,
} from "./errors.ts";
export { assertSameGrid, type GridTolerance } from "./grid_check.ts";
export { loadCaseFiles, stackChannels } from "./case_loader.ts";
export { filesDataset } from "./files_dataset.ts";
export { type MsdDatasetOptions, openMsdDataset } from "./msd.ts";
export { type FolderDatasetOptions, openFolderDataset } from "./folder.ts";
export { inMemoryDataset } from "./in_memory.ts";
