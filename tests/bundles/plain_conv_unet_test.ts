import { strict as assert } from "node:assert";
import { memoryStats, randNormal, scope, type Tensor } from "../../core/mod.ts";
import { PlainConvUNet } from "../../bundles/unet/plain_conv_unet.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

/** Parameters of nnU-Net's plain U-Net, counted from its definition. */
function expectedParameters(
  inChannels: number,
  classes: number,
  features: number[],
  kernel = 27,
  convs = 2,
): number {
  let n = 0;
  const block = (cin: number, cout: number) => cin * cout * kernel + cout + 2 * cout; // conv + bias + norm
  features.forEach((f, i) => {
    const cin = i === 0 ? inChannels : features[i - 1];
    n += block(cin, f);
    for (let j = 1; j < convs; j++) n += block(f, f);
  });
  for (let level = features.length - 2; level >= 0; level--) {
    const f = features[level];
    n += features[level + 1] * f * 8; // transposed conv 2×2×2, no bias
    n += block(2 * f, f);
    for (let j = 1; j < convs; j++) n += block(f, f);
    n += f * classes + classes; // 1×1×1 head
  }
  return n;
}

Deno.test("U-Net parameter count matches the architecture's formula", () => {
  const net = new PlainConvUNet({ inChannels: 2, classes: 3, features: [4, 8, 16] });
  assert.equal(net.parameterCount(), expectedParameters(2, 3, [4, 8, 16]));
  const names = [...net.namedParameters().keys()];
  assert.ok(names.includes("encoder.stages.0.convs.0.conv.weight"), names.slice(0, 4).join());
  assert.ok(names.includes("decoder.transpconvs.0.weight"));
  assert.ok(names.includes("decoder.seg_layers.1.bias"));
  net.dispose();
});

Deno.test("U-Net outputs: deep supervision in training, full resolution in eval; odd sizes", async () => {
  const start = memoryStats().liveBuffers;
  const net = new PlainConvUNet({
    inChannels: 1,
    classes: 3,
    features: [4, 8, 8],
    strides: [[1, 1, 1], [1, 2, 2], [2, 2, 2]],
    kernelSizes: [[1, 3, 3], [3, 3, 3], [3, 3, 3]],
  });
  assert.deepEqual(net.divisibility, [2, 4, 4]);
  const x = randNormal([2, 6, 12, 20, 1]);
  const outputs = scope(() => net.train().forward(x)) as Tensor[];
  assert.deepEqual(outputs.map((o) => o.shape), [[2, 6, 12, 20, 3], [2, 6, 6, 10, 3]]);
  const logits = scope(() => net.eval().forward(x)) as Tensor;
  assert.deepEqual(logits.shape, [2, 6, 12, 20, 3]);
  assert.ok((await logits.read()).every(Number.isFinite));
  for (const t of [x, logits, ...outputs]) t.dispose();
  net.dispose();
  assert.equal(memoryStats().liveBuffers, start);
});
