/**
 * `deno task demo`: the whole pipeline on an embedded default, no download. It writes a
 * small synthetic multi-class 3-D dataset, trains a U-Net on it for a few minutes on
 * whatever WebGPU adapter is present, validates with the sliding-window predictor,
 * evaluates, and prints a Dice table with the paths of the report and overlay pictures.
 *
 * Options: `--epochs N` (default 12), `--iterations N` (default 30), `--out DIR`
 * (default runs/demo), `--quick` (2 epochs of 5 iterations, for smoke tests).
 *
 * @module
 */

import { describeGpu, getGpu } from "../core/mod.ts";
import { readVolume } from "../data/formats/mod.ts";
import { trainFold, writeOverlay, writeSyntheticDataset } from "../pipeline/mod.ts";
import { parseCommandLine, positiveInteger } from "./cli.ts";

const USAGE = `Trains, predicts and evaluates on a generated synthetic dataset (no download).

Usage: deno task demo [--epochs N] [--iterations N] [--out DIR] [--quick]

  --epochs N       epochs (default 12)
  --iterations N   iterations per epoch (default 30)
  --out DIR        output folder (default runs/demo)
  --quick          2 epochs of 5 iterations (a smoke test)
  -h, --help       show this help
`;

const parsed = parseCommandLine(Deno.args, {
  epochs: { type: "string", default: "12" },
  iterations: { type: "string", default: "30" },
  out: { type: "string", default: "runs/demo" },
  quick: { type: "boolean" },
}, USAGE);
if (typeof parsed === "number") Deno.exit(parsed);
const { values } = parsed;
let epochs = 2;
let iterations = 5;
try {
  if (!values.quick) {
    epochs = positiveInteger("epochs", values.epochs)!;
    iterations = positiveInteger("iterations", values.iterations)!;
  }
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  Deno.exit(2);
}
const out = values.out.replace(/\/+$/, "");

const gpu = await getGpu();
console.log(`adapter: ${describeGpu(gpu)}`);
const dataRoot = `${out}/Synthetic`;
await writeSyntheticDataset(dataRoot, { cases: 20 });
console.log(`synthetic dataset (ellipsoid = 1, box = 2, in noise): ${dataRoot}`);

const result = await trainFold({
  data: dataRoot,
  output: `${out}/results`,
  fold: 0,
  epochs,
  iterationsPerEpoch: iterations,
  validationIterations: 4,
  baseFeatures: 8,
  maxFeatures: 32,
  quiet: true,
});

const validation = result.validation!;
console.log("\nDice per class on the held-out fold (sliding window, mirrored):");
console.log("  case                 ellipsoid   box");
for (const c of validation.cases) {
  const dice = validation.labels.map((l) => c.classes[String(l)].dice.toFixed(3).padStart(9));
  console.log(`  ${c.caseId.padEnd(20)} ${dice.join("  ")}`);
}
const means = validation.labels.map((l) =>
  validation.perClass[String(l)].mean.dice.toFixed(3).padStart(9)
);
console.log(`  ${"mean".padEnd(20)} ${means.join("  ")}`);

const pictures: string[] = [];
for (const c of validation.cases.slice(0, 3)) {
  const image = await readVolume(`${dataRoot}/imagesTr/${c.caseId}.nii.gz`);
  const reference = await readVolume(`${dataRoot}/labelsTr/${c.caseId}.nii.gz`);
  const prediction = await readVolume(`${result.experimentDir}/validation/${c.caseId}.nii.gz`);
  const path = `${result.experimentDir}/overlay_${c.caseId}.png`;
  await writeOverlay(path, image, reference, prediction);
  pictures.push(path);
}
console.log(`\nreport:   ${result.experimentDir}/report.html`);
console.log(`curves:   ${result.experimentDir}/progress.png`);
console.log(`overlays (image | reference | prediction):\n  ${pictures.join("\n  ")}`);
