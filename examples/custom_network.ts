// A custom network in the whole pipeline: write one network, register it, train a fold.
// Run: deno run -A examples/custom_network.ts [epochs] [iterations]
import * as mc from "../mod.ts";

// Any Module whose forward maps (N, D, H, W, C) to logits (N, D, H, W, classes) will do;
// a Sequential is the shortest: two 3×3×3 conv blocks (instance norm, LeakyReLU), 1×1×1 head.
class TinyNet extends mc.Sequential {
  constructor(inChannels: number, classes: number, width = 8) {
    const [conv, norm, act] = [mc.conv3x3x3T, mc.instanceNormT, mc.leakyReluT];
    super(
      new mc.ConvBlock({ inChannels, outChannels: width, conv, norm, act }),
      new mc.ConvBlock({ inChannels: width, outChannels: width, conv, norm, act }),
      new mc.Conv3d({ inChannels: width, outChannels: classes, kernelSize: 1 }),
    );
  }
}
mc.registerBundle({
  name: "tiny",
  description: "two conv blocks and a 1×1×1 head",
  deepSupervision: false,
  buildNetwork: ({ inChannels, classes }) => new TinyNet(inChannels, classes),
});
await mc.getGpu();
const data = await mc.writeSyntheticDataset(await Deno.makeTempDir(), { cases: 10 });
const [epochs, iterationsPerEpoch] = [Number(Deno.args[0] ?? 10), Number(Deno.args[1] ?? 20)];
const run = { data, output: "runs/example", bundle: "tiny", epochs, iterationsPerEpoch };
const result = await mc.trainFold({ ...run, validationIterations: 2, quiet: true });
console.log(`mean foreground Dice: ${result.validation?.foregroundMean.dice.toFixed(3)}`);
