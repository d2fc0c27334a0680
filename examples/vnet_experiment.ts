// A V-Net experiment: train one fold of the "vnet" bundle on a synthetic dataset, validate
// it with the sliding-window predictor and print the Dice.
// Run: deno run -A examples/vnet_experiment.ts [epochs] [iterations]
import * as mc from "../mod.ts";

await mc.getGpu();
const data = await mc.writeSyntheticDataset(`${await Deno.makeTempDir()}/Synthetic`, {
  cases: 8,
  size: [16, 16, 16],
  spacing: [1, 1, 1],
});
const [epochs, iterationsPerEpoch] = [Number(Deno.args[0] ?? 5), Number(Deno.args[1] ?? 10)];
const result = await mc.trainFold({
  data,
  output: "runs/example",
  bundle: "vnet",
  epochs,
  iterationsPerEpoch,
  validationIterations: 1,
  learningRate: 0.03,
  baseFeatures: 4, // features 4-8-16: CPU-sized; drop it for the planner's widths
  quiet: true,
});
const dice = result.validation?.foregroundMean.dice;
console.log(`V-Net mean foreground Dice: ${dice?.toFixed(3)} (${result.experimentDir})`);
