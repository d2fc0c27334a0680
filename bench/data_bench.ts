/**
 * Data pipeline benchmarks on MSD Task04 Hippocampus (skipped when the data is absent):
 * load + preprocess of every case without cache, and reading every case back from the
 * preprocessed cache. Rows report milliseconds per pass over the dataset; cases per second is
 * `params.cases / (ms / 1000)`. Run on its own (`deno run -A bench/data_bench.ts`) it prints
 * cases per second directly.
 */

import { openMsdDataset } from "../data/datasets/mod.ts";
import { fingerprintDataset } from "../data/inspection/mod.ts";
import {
  planFromFingerprint,
  preprocessCase,
  preprocessDatasetCached,
  type PreprocessingPlan,
} from "../data/preprocessing/mod.ts";
import type { Dataset } from "../data/datasets/mod.ts";
import type { BenchCase } from "./harness.ts";

const HIPPOCAMPUS = new URL("../../shared/data/Task04_Hippocampus", import.meta.url).pathname;

async function hippocampusAvailable(): Promise<boolean> {
  return await Deno.stat(`${HIPPOCAMPUS}/dataset.json`).then(() => true, () => false);
}

async function datasetAndPlan(): Promise<{ dataset: Dataset; plan: PreprocessingPlan }> {
  const dataset = await openMsdDataset(HIPPOCAMPUS);
  const fingerprint = await fingerprintDataset(dataset, { samplesPerCase: 1000 });
  return { dataset, plan: planFromFingerprint(fingerprint) };
}

/** Loads and preprocesses every case, `concurrency` at a time. */
async function preprocessAll(dataset: Dataset, plan: PreprocessingPlan, concurrency = 4) {
  const refs = dataset.cases();
  let next = 0;
  const worker = async () => {
    while (next < refs.length) preprocessCase(await dataset.load(refs[next++].id), plan);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function casesOrEmpty(cases: BenchCase[], available: boolean): BenchCase[] {
  if (!available) console.warn(`data bench skipped: ${HIPPOCAMPUS} not found`);
  return available ? cases : [];
}

/** Benchmark rows for `bench/run.ts` (empty when the Hippocampus data is absent). */
export const dataBenchmarks: BenchCase[] = casesOrEmpty([
  {
    name: "hippocampus.load_preprocess",
    params: { cases: 208 },
    runs: 3,
    setup: async () => {
      const { dataset, plan } = await datasetAndPlan();
      return { run: () => preprocessAll(dataset, plan), dispose: () => {} };
    },
  },
  {
    name: "hippocampus.cache_read",
    params: { cases: 208 },
    runs: 3,
    setup: async () => {
      const { dataset, plan } = await datasetAndPlan();
      const folder = await Deno.makeTempDir({ prefix: "mipcandy_data_bench_" });
      const cached = await preprocessDatasetCached(dataset, plan, folder);
      return {
        run: async () => {
          await Promise.all(cached.ids.map((id) => cached.load(id)));
        },
        dispose: () => Deno.removeSync(folder, { recursive: true }),
      };
    },
  },
], await hippocampusAvailable());

if (import.meta.main && (await hippocampusAvailable())) {
  const { dataset, plan } = await datasetAndPlan();
  const count = dataset.cases().length;
  const time = async (label: string, work: () => Promise<unknown>) => {
    await work();
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      await work();
      times.push(performance.now() - start);
    }
    const ms = times.sort((a, b) => a - b)[1];
    console.log(`${label}: ${ms.toFixed(0)} ms, ${(count / (ms / 1000)).toFixed(0)} cases/s`);
  };
  await time("load + preprocess (no cache)", () => preprocessAll(dataset, plan));
  const folder = await Deno.makeTempDir({ prefix: "mipcandy_data_bench_" });
  const first = performance.now();
  await preprocessDatasetCached(dataset, plan, folder);
  console.log(
    `first cached run (preprocess + write): ${(performance.now() - first).toFixed(0)} ms`,
  );
  const second = performance.now();
  const cached = await preprocessDatasetCached(dataset, plan, folder);
  console.log(
    `second cached run (manifest check): ${(performance.now() - second).toFixed(0)} ms`,
    cached.stats,
  );
  await time(
    "read all cases from cache",
    () => Promise.all(cached.ids.map((id) => cached.load(id))),
  );
  Deno.removeSync(folder, { recursive: true });
}
