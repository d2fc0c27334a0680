/**
 * `deno task plan --data DIR [--out DIR]`: fingerprints and preprocesses a dataset
 * (cached, reusing a `plan.json` written by `deno task preprocess`) and prints the network
 * plan this adapter would train with — target spacing, patch size, strides, kernel sizes
 * and features — writing it to `network_plan.json`.
 *
 * @module
 */

import { describeGpu, getGpu } from "../core/mod.ts";
import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";
import { estimateTrainingBytes } from "../bundles/unet/planner.ts";
import { planNetwork, prepareDataset, preparedWorkDir } from "../pipeline/mod.ts";

import { finiteNumber, OptionValueError, parseCommandLine, positiveInteger } from "./cli.ts";

const USAGE = `Plan a network for a dataset on this adapter.

Usage: deno task plan --data DIR [options]

Prepares the dataset in OUT/<dataset folder name> (the folder \`deno task train\` and
\`deno task preprocess\` use with the same --out; a plan.json written there by preprocess is
reused), prints the network plan and writes it to network_plan.json in that folder.

  --data DIR              dataset folder (MSD/nnU-Net layout with dataset.json, or images/ +
                          labels/)
  --out DIR               results root (default runs)
  --base-features N       feature channels of the first stage (default 32; 16 on a CPU
                          adapter)
  --max-features N        cap on feature channels (default 320; 128 on a CPU adapter)
  --max-patch-voxels N    largest patch in voxels (default 128³ = 2097152; 48×64×48 = 147456
                          on a CPU adapter)
  --memory-budget GIB     memory a training step may use; the patch shrinks to fit (default
                          8; 4 on a CPU adapter)
  --batch-size N          patches per batch, for the memory estimate (default 2)
  -h, --help              show this help
`;

/**
 * Runs the plan CLI; returns the exit code: 0 on success, 1 when the dataset or adapter
 * cannot be used (one `plan: …` line on stderr), 2 for a usage error.
 */
export async function planMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      data: { type: "string" },
      out: { type: "string", default: "runs" },
      "base-features": { type: "string" },
      "max-features": { type: "string" },
      "max-patch-voxels": { type: "string" },
      "memory-budget": { type: "string" },
      "batch-size": { type: "string" },
    },
    USAGE,
    { required: ["data"] },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const data = values.data!;
  let options;
  try {
    options = {
      baseFeatures: positiveInteger("base-features", values["base-features"]),
      maxFeatures: positiveInteger("max-features", values["max-features"]),
      maxPatchVoxels: positiveInteger("max-patch-voxels", values["max-patch-voxels"]),
      memoryBudgetGiB: finiteNumber("memory-budget", values["memory-budget"]),
      batchSize: positiveInteger("batch-size", values["batch-size"]),
    };
    if (options.memoryBudgetGiB !== undefined && !(options.memoryBudgetGiB > 0)) {
      throw new OptionValueError(`--memory-budget must be > 0, got ${options.memoryBudgetGiB}`);
    }
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const work = preparedWorkDir(data, values.out);
    const prepared = await prepareDataset(data, work);
    const gpu = await getGpu();
    const plan = planNetwork(prepared, options);
    await atomicWriteTextFile(`${work}/network_plan.json`, JSON.stringify(plan, null, 1) + "\n");
    console.log(`adapter: ${describeGpu(gpu)}`);
    console.log(
      `cases: ${prepared.preprocessed.ids.length}, classes: ${prepared.classes}, ` +
        `channels: ${prepared.channels}`,
    );
    console.log(
      `target spacing (D, H, W): ${plan.spacing.map((s) => s.toFixed(3)).join(" × ")} mm`,
    );
    console.log(`patch size: ${plan.patchSize.join(" × ")}`);
    const bytes = estimateTrainingBytes(
      plan,
      prepared.channels,
      prepared.classes,
      options.batchSize ?? 2,
    );
    console.log(`estimated training memory: ${(bytes / 2 ** 30).toFixed(2)} GiB`);
    plan.features.forEach((f, i) =>
      console.log(
        `  stage ${i}: ${f} features, stride ${plan.strides[i].join("×")}, ` +
          `kernel ${plan.kernelSizes[i].join("×")}`,
      )
    );
    console.log(`written: ${work}/network_plan.json`);
    return 0;
  } catch (error) {
    console.error(`plan: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await planMain(Deno.args));
