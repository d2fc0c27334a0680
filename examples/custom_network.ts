// A custom network in the whole pipeline: write one network, register it, train a fold.
// Run: deno run -A examples/custom_network.ts [epochs] [iterations]
import * as mc from "../mod.ts";
class TinyNet extends mc.Module {
  readonly layers: mc.Module[];
  constructor(inChannels: number, classes: number) {
    super();
    const [conv, norm, act] = [mc.conv3x3x3T, mc.instanceNormT, mc.leakyReluT];
    const block = (i: number, o: number) =>
      new mc.ConvBlock({ inChannels: i, outChannels: o, conv, norm, act });
    const head = new mc.Conv3d({ inChannels: 8, outChannels: classes, kernelSize: 1 });
    this.layers = [block(inChannels, 8), block(8, 8), head];
    this.layers.forEach((layer, i) => this.registerModule(`layer${i}`, layer));
  }
  forward(x: mc.Tensor): mc.Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h) as mc.Tensor, x);
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
