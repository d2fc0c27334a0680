/**
 * `deno task predict --model NAME_OR_CHECKPOINT --input DIR_OR_FILE --output DIR`:
 * segments every case and writes `<case>.nii.gz` with the source image's geometry (and,
 * with `--save-probabilities`, `<case>_probabilities.nii.gz`).
 *
 * @module
 */

import { getGpu } from "../core/mod.ts";
import { isFile } from "../data/datasets/file_names.ts";
import { writeVolume } from "../data/formats/mod.ts";
import {
  labelsFromProbabilities,
  listPredictionInputs,
  Predictor,
  readPredictionInput,
} from "../pipeline/mod.ts";

import { bundledCheckpoint } from "./bundled_weights.ts";
import { finiteNumber, OptionValueError, parseCommandLine } from "./cli.ts";

const USAGE = `Segment images with a trained model.

Usage: deno task predict --model NAME_OR_CHECKPOINT --input DIR_OR_FILE --output DIR

  --model M      a checkpoint file, several separated by commas (fold ensemble), an
                 experiment folder holding fold_*/checkpoint_final.safetensors (all folds
                 ensembled), or a bundled model name (e.g. "hippocampus")
  --input P      an image file, a folder of images (_0000… channel files grouped), or a
                 DICOM series folder
  --output DIR   where <case>.nii.gz files are written
  --step F       step between sliding windows as a fraction of the patch, 0 < F <= 1
                 (default 0.5; 1 is fastest, smaller overlaps the windows more)
  --mirror-axes LIST
                 axes to mirror for test-time augmentation, comma-separated from 0, 1, 2
                 (the network's D, H, W = the image's k, j, i axes; default 0,1,2; each
                 axis doubles the time)
  --no-mirror    skip mirror test-time augmentation (8× faster, slightly less accurate)
  --save-probabilities
                 also write <case>_probabilities.nii.gz: the softmax probabilities as a
                 4-D float32 NIfTI, one volume per class (background first), on the source
                 grid; <case>.nii.gz is then their argmax
  -h, --help     show this help
`;

/** `--step`'s value: a fraction of the patch in (0, 1] (undefined when absent). */
export function stepOption(value: string | undefined): number | undefined {
  const step = finiteNumber("step", value);
  if (step !== undefined && !(step > 0 && step <= 1)) {
    throw new OptionValueError(`--step needs a fraction of the patch in (0, 1], got "${value}"`);
  }
  return step;
}

/** `--mirror-axes`' value: distinct axes from 0, 1, 2 (undefined when absent). */
export function mirrorAxesOption(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((part) => part.trim());
  const axes = parts.map(Number);
  const valid = parts.every((part) => /^[012]$/.test(part)) && new Set(axes).size === axes.length;
  if (!valid) {
    throw new OptionValueError(
      `--mirror-axes needs distinct axes from 0, 1, 2 separated by commas (e.g. "0,1,2" or ` +
        `"2"; --no-mirror for none), got "${value}"`,
    );
  }
  return axes;
}

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

/** Runs the predict CLI; returns the exit code. */
export async function predictMain(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    args,
    {
      model: { type: "string" },
      input: { type: "string" },
      output: { type: "string" },
      step: { type: "string" },
      "mirror-axes": { type: "string" },
      "no-mirror": { type: "boolean" },
      "save-probabilities": { type: "boolean" },
    },
    USAGE,
    { required: ["model", "input", "output"] },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const output = values.output!;
  let stepFraction: number | undefined;
  let mirrorAxes: number[] | undefined;
  try {
    stepFraction = stepOption(values.step);
    mirrorAxes = mirrorAxesOption(values["mirror-axes"]);
    if (mirrorAxes && values["no-mirror"]) {
      throw new OptionValueError("--mirror-axes and --no-mirror contradict each other");
    }
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values["no-mirror"]) mirrorAxes = [];
  const saveProbabilities = values["save-probabilities"] ?? false;
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
      const base = `${output.replace(/\/+$/, "")}/${input.id}`;
      const out = `${base}.nii.gz`;
      if (saveProbabilities) {
        // One pass: the mask is the argmax of the probabilities written beside it.
        const probabilities = await predictor.predictVolume(image, {
          mirrorAxes,
          stepFraction,
          output: "probabilities",
        });
        await writeVolume(`${base}_probabilities.nii.gz`, probabilities);
        await writeVolume(out, labelsFromProbabilities(probabilities));
      } else {
        await writeVolume(out, await predictor.predictVolume(image, { mirrorAxes, stepFraction }));
      }
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
