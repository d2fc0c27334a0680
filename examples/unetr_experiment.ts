// UNETR (a ViT encoder with a conv decoder) on synthetic data through the whole pipeline.
// Run: deno run -A examples/unetr_experiment.ts [epochs] [iterations]
import * as mc from "../mod.ts";

await mc.getGpu();
const data = await mc.writeSyntheticDataset(await Deno.makeTempDir(), {
  cases: 8,
  size: [16, 16, 16],
});
const [epochs, iterationsPerEpoch] = [Number(Deno.args[0] ?? 4), Number(Deno.args[1] ?? 10)];
// 16³ patches: the bundle picks transformer patches of 8 (2×2×2 tokens); defaults are
// hidden 192, 12 layers, 3 heads (pass settings to bundle.buildNetwork for the paper's 768).
const result = await mc.trainFold({
  data,
  output: "runs/unetr_example",
  bundle: "unetr",
  epochs,
  iterationsPerEpoch,
  validationIterations: 2,
  patchSize: [16, 16, 16],
  quiet: true,
});
const seconds = result.training.history.reduce((s, e) => s + e.seconds, 0);
const patches = epochs * iterationsPerEpoch * 2;
console.log(`${(patches / seconds).toFixed(2)} patches/s (training, batch 2)`);
console.log(`mean foreground Dice: ${result.validation?.foregroundMean.dice.toFixed(3)}`);
