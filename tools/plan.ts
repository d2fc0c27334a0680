/**
 * `deno task plan --data DIR [--out DIR]`: fingerprints and preprocesses a dataset
 * (cached) and prints the network plan this adapter would train with — target spacing,
 * patch size, strides, kernel sizes and features — writing it to `network_plan.json`.
 *
 * @module
 */

import { describeGpu, getGpu } from "../core/mod.ts";
import { atomicWriteTextFile } from "../core/serialize/atomic_write.ts";
import { planNetwork, prepareDataset } from "../pipeline/mod.ts";

import { parseCommandLine, positiveInteger } from "./cli.ts";

const USAGE = `Plan a network for a dataset on this adapter.

Usage: deno task plan --data DIR [--out DIR] [--base-features N] [--max-features N]
                      [--max-patch-voxels N]
`;

/** Runs the plan CLI; returns the exit code. */
export async function planMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      data: { type: "string" },
      out: { type: "string", default: "runs" },
      "base-features": { type: "string" },
      "max-features": { type: "string" },
      "max-patch-voxels": { type: "string" },
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
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const gpu = await getGpu();
    const name = data.replace(/\/+$/, "").split("/").pop();
    const work = `${values.out.replace(/\/+$/, "")}/${name}`;
    const prepared = await prepareDataset(data, work);
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
