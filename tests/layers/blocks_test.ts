import assert from "node:assert/strict";
import { add, memoryStats, relu, Tensor } from "../../core/mod.ts";
import { ConvBlock, ResidualBlock } from "../../layers/blocks.ts";
import { placeholder } from "../../layers/layert.ts";
import { layerT } from "../../layers/registry.ts";
import { conv3x3x3T, groupNormT, instanceNormT, leakyReluT } from "../../layers/presets.ts";
import { Conv3d } from "../../layers/conv.ts";
import { GroupNorm, InstanceNorm, LayerNorm } from "../../layers/normalization.ts";
import { LeakyReLU } from "../../layers/activation.ts";
import { assertClose, randomPair, setupGpu } from "../helpers.ts";

await setupGpu();

const linearT = layerT("Linear", {
  inFeatures: placeholder("inChannels"),
  outFeatures: placeholder("outChannels"),
});
const layerNormT = layerT("LayerNorm", { normalizedShape: placeholder("channels") });

Deno.test("ConvBlock assembles conv, norm and act from LayerTs with PyTorch-style names", async () => {
  const before = memoryStats().liveBuffers;
  const block = new ConvBlock({
    inChannels: 2,
    outChannels: 8,
    conv: conv3x3x3T,
    norm: groupNormT(4),
    act: leakyReluT,
  });
  assert.ok(block.conv instanceof Conv3d);
  assert.ok(block.norm instanceof GroupNorm && block.norm.numGroups === 2);
  assert.ok(block.act instanceof LeakyReLU);
  assert.deepEqual([...(await block.stateDict()).keys()], [
    "conv.weight",
    "conv.bias",
    "norm.weight",
    "norm.bias",
  ]);
  const { gpu } = randomPair([1, 3, 4, 5, 2], 1);
  const y = block.forward(gpu);
  assert.deepEqual(y.shape, [1, 3, 4, 5, 8]);
  // same as running the three children by hand
  const a = block.conv.forward(gpu);
  const b = block.norm!.forward(a);
  const c = block.act!.forward(b);
  assertClose(await y.read(), await c.read(), { rtol: 1e-6, atol: 1e-6, label: "block" });
  // swapping the norm is one LayerT
  const other = new ConvBlock({
    inChannels: 2,
    outChannels: 8,
    conv: conv3x3x3T,
    norm: instanceNormT,
  });
  assert.ok(other.norm instanceof InstanceNorm && other.act === undefined);
  for (const t of [gpu, y, a, b, c]) t.dispose();
  block.dispose();
  other.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("ResidualBlock adds a projected skip when channels change", async () => {
  const before = memoryStats().liveBuffers;
  const block = new ResidualBlock({
    inChannels: 3,
    outChannels: 4,
    conv: linearT,
    norm: layerNormT,
    act: layerT("ReLU"),
    skip: linearT,
  });
  assert.ok(block.skip && block.conv2.norm instanceof LayerNorm);
  assert.deepEqual([...block.namedParameters().keys()], [
    "conv1.conv.weight",
    "conv1.conv.bias",
    "conv1.norm.weight",
    "conv1.norm.bias",
    "conv2.conv.weight",
    "conv2.conv.bias",
    "conv2.norm.weight",
    "conv2.norm.bias",
    "skip.conv.weight",
    "skip.conv.bias",
    "skip.norm.weight",
    "skip.norm.bias",
  ]);
  const { gpu } = randomPair([5, 3], 2);
  const y = block.forward(gpu);
  const h = block.conv1.forward(gpu);
  const main = block.conv2.forward(h);
  const skip = block.skip!.forward(gpu);
  const sum = add(main, skip);
  const expected = relu(sum);
  assertClose(await y.read(), await expected.read(), { rtol: 1e-6, atol: 1e-6, label: "residual" });
  for (const t of [gpu, y, h, main, skip, sum, expected]) t.dispose();
  block.dispose();
  // same channels: identity skip; a 3-D block projects with a 1×1×1 conv by default
  const same = new ResidualBlock({
    inChannels: 4,
    outChannels: 4,
    conv: linearT,
    act: layerT("ReLU"),
  });
  assert.equal(same.skip, undefined);
  same.dispose();
  const conv = new ResidualBlock({
    inChannels: 2,
    outChannels: 4,
    conv: conv3x3x3T,
    norm: instanceNormT,
    act: leakyReluT,
  });
  assert.deepEqual((conv.skip!.conv as Conv3d).kernelSize, [1, 1, 1]);
  const x = Tensor.from(new Float32Array(2 * 3 * 3 * 2), [1, 2, 3, 3, 2]);
  const z = conv.forward(x);
  assert.deepEqual(z.shape, [1, 2, 3, 3, 4]);
  for (const t of [x, z]) t.dispose();
  conv.dispose();
  assert.equal(memoryStats().liveBuffers, before);
  assert.throws(
    () => new ResidualBlock({ inChannels: 3, outChannels: 4, conv: linearT }),
    /cannot be made a 1×1 projection.*pass "skip"/,
  );
});
