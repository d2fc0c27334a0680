/**
 * The background loader's worker: imports the user's loader module once, loads the cases
 * it is asked for, and posts them back with their buffers transferred (not copied).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type CaseLoaderModule, type LoadRequest, transferablesOf } from "./protocol.ts";

const modules = new Map<string, Promise<CaseLoaderModule>>();

function loaderModule(url: string): Promise<CaseLoaderModule> {
  let module = modules.get(url);
  if (!module) {
    module = import(url).then((m: Partial<CaseLoaderModule>) => {
      if (typeof m.loadCase !== "function") {
        throw new TypeError(`loader module ${url} does not export a function loadCase(caseId)`);
      }
      return m as CaseLoaderModule;
    });
    modules.set(url, module);
  }
  return module;
}

self.onmessage = async (event: MessageEvent<LoadRequest>) => {
  const { job, module, caseId } = event.data;
  try {
    const loader = await loaderModule(module);
    const value = await loader.loadCase(caseId);
    self.postMessage({ job, ok: true, value }, { transfer: transferablesOf(value) });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    self.postMessage({ job, ok: false, message: e.message, stack: e.stack });
  }
};
