/**
 * The benchmark harness: times GPU work to completion (median of several runs after a
 * warm-up), optionally times the same work in PyTorch on this machine, prints a table and
 * writes `bench/results/<group>.json`.
 */

import { synchronize } from "../core/mod.ts";

/** One benchmark row. */
export interface BenchCase {
  /** Row name, e.g. `matmul`. */
  name: string;
  /** Parameters that identify the shape. */
  params: Record<string, number | string>;
  /** Floating-point operations per run (for GFLOP/s). */
  flops?: number;
  /** Bytes moved per run (for GB/s). */
  bytes?: number;
  /** Prepares inputs; returns the function that records one run, and a cleanup. */
  setup: () => Promise<{ run: () => void | Promise<void>; dispose: () => void }>;
  /** The same work for the PyTorch peer script (`bench/peers/torch_peer.py`), if any. */
  peer?: Record<string, unknown>;
  /** Number of timed runs (default 5). */
  runs?: number;
  /**
   * Times the work recorded this many times per run (one sync per run), so the fixed cost
   * of the GPU round trip (≥ 10 ms in Deno) does not hide a small kernel's speed.
   */
  repeat?: number;
}

/** One result row as written to JSON. */
export interface BenchResult {
  name: string;
  params: Record<string, number | string>;
  runs: number;
  repeat?: number;
  ms_median: number;
  ms_min: number;
  gflops?: number;
  gbps?: number;
  /** The PyTorch timing of the same work; `null` when the case has one but it was skipped. */
  peer?: PeerResult | null;
  /** Why the peer was skipped (only with `peer: null`). */
  peer_skipped?: string;
}

/** The PyTorch peer's timing of one case. */
export interface PeerResult {
  name: string;
  ms_median: number;
  gflops?: number;
  /** PyTorch's time over ours: above 1 means ours is faster. */
  ratio: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Times one case on the GPU: a warm-up run, then `runs` runs each ending in a sync. */
export async function timeCase(c: BenchCase): Promise<BenchResult> {
  const { run, dispose } = await c.setup();
  await run();
  await synchronize();
  const times: number[] = [];
  const runs = c.runs ?? 5;
  const repeat = c.repeat ?? 1;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    for (let r = 0; r < repeat; r++) await run();
    await synchronize();
    times.push((performance.now() - t0) / repeat);
  }
  dispose();
  const ms = median(times);
  const result: BenchResult = {
    name: c.name,
    params: c.params,
    runs,
    repeat: c.repeat,
    ms_median: round(ms),
    ms_min: round(Math.min(...times)),
  };
  if (c.flops) result.gflops = round(c.flops / (ms * 1e6));
  if (c.bytes) result.gbps = round(c.bytes / (ms * 1e6));
  return result;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The interpreter the PyTorch peer runs under. */
const PYTHON = "/usr/bin/python3";

/**
 * Why the PyTorch peer cannot run here (`/usr/bin/python3` missing or unable to import
 * torch), or `undefined` when it can.
 */
export async function torchUnavailableReason(): Promise<string | undefined> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (e) {
    return `${PYTHON} could not be started (${(e as Error).message}); ` +
      "install it with apt-get install -y python3-torch";
  }
  if (out.success) return undefined;
  // The last line of the traceback names the error, e.g. "ModuleNotFoundError: ...".
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  const cause = lines[lines.length - 1].trim();
  return `${PYTHON} cannot import torch${cause ? ` (${cause})` : ""}; ` +
    "install it with apt-get install -y python3-torch";
}

/** True when `/usr/bin/python3 -c 'import torch'` works. */
export async function torchAvailable(): Promise<boolean> {
  return await torchUnavailableReason() === undefined;
}

/** Runs the PyTorch peer script on a list of cases; returns median ms per case. */
export async function timeInTorch(cases: Record<string, unknown>[]): Promise<number[]> {
  const script = new URL("./peers/torch_peer.py", import.meta.url).pathname;
  const child = new Deno.Command(PYTHON, {
    args: [script],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error("torch peer failed");
  return JSON.parse(new TextDecoder().decode(out.stdout)) as number[];
}

/** Runs a group of cases, adds PyTorch peers where available, prints and saves results. */
export async function runGroup(group: string, cases: BenchCase[]): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of cases) {
    const r = await timeCase(c);
    results.push(r);
    console.log(formatRow(r));
  }
  const withPeer = cases.map((c, i) => [c, results[i]] as const).filter(([c]) => c.peer);
  const skipped = withPeer.length ? await torchUnavailableReason() : undefined;
  if (skipped !== undefined) {
    console.log(`PyTorch peer skipped: ${skipped}`);
    for (const [, r] of withPeer) {
      r.peer = null;
      r.peer_skipped = skipped;
    }
  } else if (withPeer.length) {
    const times = await timeInTorch(withPeer.map(([c]) => ({ ...c.peer, runs: c.runs ?? 5 })));
    withPeer.forEach(([c, r], i) => {
      const ms = times[i];
      const peer: PeerResult = {
        name: "pytorch-cpu",
        ms_median: round(ms),
        gflops: c.flops ? round(c.flops / (ms * 1e6)) : undefined,
        ratio: round(ms / r.ms_median),
      };
      r.peer = peer;
      console.log(
        `  vs PyTorch ${r.name} ${JSON.stringify(r.params)}: ${round(ms)} ms ` +
          `(ours/PyTorch speed ratio ${peer.ratio})`,
      );
    });
  }
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL(`./results/${group}.json`, import.meta.url),
    JSON.stringify(results, null, 2) + "\n",
  );
  return results;
}

/** One printed table row. */
export function formatRow(r: BenchResult): string {
  const rate = [
    r.gflops !== undefined ? `${r.gflops} GFLOP/s` : "",
    r.gbps !== undefined ? `${r.gbps} GB/s` : "",
  ].filter(Boolean).join(", ");
  return `${r.name.padEnd(22)} ${JSON.stringify(r.params).padEnd(40)} ` +
    `median ${r.ms_median.toFixed(2).padStart(9)} ms  min ${
      r.ms_min.toFixed(2).padStart(9)
    } ms  ${rate}`;
}
