/**
 * Background loading of cases in Deno workers, so file reading and decompression overlap
 * GPU work.
 *
 * @example
 * ```ts ignore
 * import { BackgroundLoader } from "./mod.ts";
 * using loader = new BackgroundLoader({ module: "/abs/path/my_loader.ts", workers: 2 });
 * for await (const item of loader.load(["a", "b"])) console.log(item);
 * ```
 *
 * @module
 */

export { BackgroundLoader, CaseLoadError } from "./background_loader.ts";
export type { BackgroundLoaderOptions } from "./background_loader.ts";
export { transferablesOf } from "./protocol.ts";
export type { CaseLoaderModule, LoadRequest, LoadResponse } from "./protocol.ts";
