/**
 * `deno task predict --model NAME_OR_CHECKPOINT --input DIR_OR_FILE --output DIR`:
 * segments every case and writes `<case>.nii.gz` with the source image's geometry.
 *
 * @module
 */

import { getGpu } from "../core/mod.ts";
import { writeVolume } from "../data/formats/mod.ts";
import { listPredictionInputs, Predictor, readPredictionInput } from "../pipeline/mod.ts";

import { bundledCheckpoint } from "./bundled_weights.ts";
import { parseCommandLine } from "./cli.ts";

const USAGE = `Segment images with a trained model.

Usage: deno task predict --model NAME_OR_CHECKPOINT --input DIR_OR_FILE --output DIR

  --model M      a checkpoint file, several separated by commas (fold ensemble), an
                 experiment folder holding fold_*/checkpoint_final.safetensors (all folds
                 ensembled), or a bundled model name (e.g. "hippocampus")
  --input P      an image file, a folder of images (_0000… channel files grouped), or a
                 DICOM series folder
  --output DIR   where <case>.nii.gz files are written
  --no-mirror    skip mirror test-time augmentation (8× faster, slightly less accurate)
  -h, --help     show this help
`;

/** Resolves `--model` to checkpoint paths (files, a folds folder, or a bundled name). */
export async function resolveModel(model: string): Promise<string[]> {
  if (model.includes(",")) {
    return (await Promise.all(model.split(",").map((m) => resolveModel(m.trim())))).flat();
  }
  const info = await Deno.stat(model).catch(() => undefined);
  if (info?.isFile) return [model];
  if (info?.isDirectory) {
    const folds: string[] = [];
    for await (const entry of Deno.readDir(model)) {
      const path = `${model.replace(/\/+$/, "")}/${entry.name}/checkpoint_final.safetensors`;
      if (entry.isDirectory && /^fold_/.test(entry.name) && await isFile(path)) folds.push(path);
    }
    if (folds.length) return folds.sort();
    throw new Error(`${model}: no fold_*/checkpoint_final.safetensors inside`);
  }
  const bundled = await bundledCheckpoint(model);
  if (bundled) return [bundled];
  throw new Error(`model "${model}" is neither a checkpoint file nor a bundled model name`);
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

/** Runs the predict CLI; returns the exit code. */
export async function predictMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      model: { type: "string" },
      input: { type: "string" },
      output: { type: "string" },
      "no-mirror": { type: "boolean" },
    },
    USAGE,
    { required: ["model", "input", "output"] },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const output = values.output!;
  try {
    await getGpu();
    const checkpoints = await resolveModel(values.model!);
    const predictor = await Predictor.fromCheckpoints(checkpoints);
    if (checkpoints.length > 1) console.log(`ensembling ${checkpoints.length} checkpoints`);
    const inputs = await listPredictionInputs(values.input!);
    await Deno.mkdir(output, { recursive: true });
    const started = performance.now();
    for (const [i, input] of inputs.entries()) {
      const image = await readPredictionInput(input);
      const mask = await predictor.predictVolume(image, {
        mirrorAxes: values["no-mirror"] ? [] : undefined,
      });
      const out = `${output.replace(/\/+$/, "")}/${input.id}.nii.gz`;
      await writeVolume(out, mask);
      console.log(`[${i + 1}/${inputs.length}] ${input.id} → ${out}`);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`${inputs.length} case(s) in ${seconds.toFixed(1)} s`);
    predictor.dispose();
    return 0;
  } catch (error) {
    console.error(`predict: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await predictMain(Deno.args));
