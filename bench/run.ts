/**
 * `deno task bench [FILTER]`: runs every benchmark group whose row names contain FILTER,
 * prints a table, and writes `bench/results/<group>.json`.
 */

import { describeGpu, getGpu } from "../core/mod.ts";
import { type BenchCase, runGroup } from "./harness.ts";
import { engineBenchmarks } from "./engine_bench.ts";
import { normBenchmarks } from "./norm_bench.ts";
import { convBenchmarks } from "./conv_bench.ts";
import { dataBenchmarks } from "./data_bench.ts";
import { samplerBenchmarks } from "./sampler_bench.ts";

const groups: Record<string, BenchCase[]> = {
  engine: engineBenchmarks,
  conv: convBenchmarks,
  norm: normBenchmarks,
  data: dataBenchmarks,
  sampler: samplerBenchmarks,
};

const filter = Deno.args[0] ?? "";
const gpu = await getGpu();
console.log(`adapter: ${describeGpu(gpu)}`);
for (const [group, cases] of Object.entries(groups)) {
  const selected = cases.filter((c) => `${group}.${c.name}`.includes(filter));
  if (selected.length) await runGroup(group, selected);
}
