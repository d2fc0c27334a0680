import assert from "node:assert/strict";
import {
  backward,
  memoryStats,
  mul,
  permute,
  RandomGenerator,
  scope,
  sum,
  Tensor,
} from "../../core/mod.ts";
import { readSafetensors } from "../../core/serialize/safetensors.ts";
import type { HostTensor } from "../../core/serialize/host_tensor.ts";
import { Conv2d, Conv3d, ConvTranspose3d } from "../../layers/conv.ts";
import { Sequential } from "../../layers/containers.ts";
import { InstanceNorm } from "../../layers/normalization.ts";
import { LeakyReLU } from "../../layers/activation.ts";
import { assertClose, randomPair, randomValues, setupGpu } from "../helpers.ts";
import { type Nd, nd, permute as permuteRef } from "../reference/ndarray.ts";
import {
  conv3d as conv3dRef,
  conv3dBackward as conv3dBackwardRef,
  convTranspose3d as convTransposeRef,
} from "../reference/conv.ts";

await setupGpu();

function f32(shape: number[], seed: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "F32", shape, data: Float32Array.from(randomValues(n, seed)) };
}

function toNd(h: HostTensor): Nd {
  return nd(h.data as Float32Array, h.shape);
}

Deno.test("Conv3d loads PyTorch-layout weights and matches the reference", async () => {
  const before = memoryStats().liveBuffers;
  const conv = new Conv3d({
    inChannels: 3,
    outChannels: 5,
    kernelSize: [3, 1, 2],
    padding: [1, 0, 1],
    stride: [1, 2, 1],
  });
  const weight = f32([5, 3, 3, 1, 2], 1); // O, I, kD, kH, kW
  const bias = f32([5], 2);
  conv.loadStateDict(new Map([["weight", weight], ["bias", bias]]));
  const { ref, gpu } = randomPair([2, 4, 5, 3, 3], 3);
  const y = conv.forward(gpu);
  // reference weight in (kD, kH, kW, I, O)
  const w = permuteRef(toNd(weight), [2, 3, 4, 1, 0]);
  const expected = conv3dRef(ref, w, toNd(bias), { stride: [1, 2, 1], padding: [1, 0, 1] });
  assert.deepEqual(y.shape, expected.shape);
  assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-5, label: "conv3d" });
  // saving gives back the PyTorch layout exactly
  const saved = await conv.stateDict();
  assert.deepEqual(saved.get("weight"), weight);
  assert.deepEqual(conv.weight.shape, [3, 1, 2, 3, 5]);
  for (const t of [y, gpu]) t.dispose();
  conv.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("Conv2d runs as a depth-1 Conv3d with O×I×kH×kW weights", async () => {
  const conv = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, stride: 2 });
  const weight = f32([3, 2, 3, 3], 4);
  const bias = f32([3], 5);
  conv.loadStateDict(new Map([["weight", weight], ["bias", bias]]));
  const { ref, gpu } = randomPair([1, 5, 6, 2], 6);
  const y = conv.forward(gpu);
  const w5 = nd(weight.data as Float32Array, [3, 2, 1, 3, 3]);
  const x5 = nd(ref.data, [1, 1, 5, 6, 2]);
  const expected = conv3dRef(x5, permuteRef(w5, [2, 3, 4, 1, 0]), toNd(bias), {
    stride: [1, 2, 2],
    padding: [0, 1, 1],
  });
  assert.deepEqual(y.shape, [1, 3, 3, 3]);
  assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-5, label: "conv2d" });
  assert.deepEqual((await conv.stateDict()).get("weight"), weight);
  for (const t of [y, gpu]) t.dispose();
  conv.dispose();
});

Deno.test("Conv2d with dilation and anisotropic stride: forward and gradients", async () => {
  const before = memoryStats().liveBuffers;
  const conv = new Conv2d({
    inChannels: 3,
    outChannels: 5,
    kernelSize: [3, 2],
    stride: [2, 1],
    padding: [2, 1],
    dilation: [2, 3],
  });
  const weight = f32([5, 3, 3, 2], 11);
  const bias = f32([5], 12);
  conv.loadStateDict(new Map([["weight", weight], ["bias", bias]]));
  const { ref, gpu } = randomPair([2, 7, 9, 3], 13);
  gpu.requiresGrad = true;
  const options = { stride: [1, 2, 1], padding: [0, 2, 1], dilation: [1, 2, 3] };
  const x5 = nd(ref.data, [2, 1, 7, 9, 3]);
  const w5 = permuteRef(nd(weight.data as Float32Array, [5, 3, 1, 3, 2]), [2, 3, 4, 1, 0]);
  const expected = conv3dRef(x5, w5, toNd(bias), options);
  // H: ⌊(7 + 4 − 4 − 1) / 2⌋ + 1 = 4; W: (9 + 2 − 3 − 1) + 1 = 8.
  assert.deepEqual(expected.shape, [2, 1, 4, 8, 5]);
  const gyHost = randomValues(expected.data.length, 14);
  const { y, loss } = scope(() => {
    const y = conv.forward(gpu);
    return { y, loss: sum(mul(y, Tensor.from(gyHost, y.shape))) };
  });
  assert.deepEqual(y.shape, [2, 4, 8, 5]);
  assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-5, label: "conv2d dil" });
  backward(loss);
  const grads = conv3dBackwardRef(x5, w5, { shape: expected.shape, data: gyHost }, options);
  const tol = { rtol: 1e-4, atol: 1e-4 };
  assertClose(await gpu.grad!.read(), grads.gx.data, { ...tol, label: "conv2d dil gx" });
  // The weight is (1, kH, kW, Cin, Cout) internally, the reference's layout.
  assert.deepEqual(conv.weight.shape, [1, 3, 2, 3, 5]);
  assertClose(await conv.weight.grad!.read(), grads.gw.data, { ...tol, label: "conv2d dil gw" });
  assertClose(await conv.bias!.grad!.read(), grads.gb.data, { ...tol, label: "conv2d dil gb" });
  for (const t of [y, loss, gpu]) t.dispose();
  conv.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("ConvTranspose3d loads I×O×k weights and matches the reference", async () => {
  const up = new ConvTranspose3d({ inChannels: 4, outChannels: 3, kernelSize: 2 });
  const weight = f32([4, 3, 2, 2, 2], 7);
  const bias = f32([3], 8);
  up.loadStateDict(new Map([["weight", weight], ["bias", bias]]));
  const { ref, gpu } = randomPair([1, 2, 3, 2, 4], 9);
  const y = up.forward(gpu);
  const w = permuteRef(toNd(weight), [2, 3, 4, 0, 1]);
  const expected = convTransposeRef(ref, w, toNd(bias), [2, 2, 2]);
  assert.deepEqual(y.shape, [1, 4, 6, 4, 3]);
  assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-5, label: "convT" });
  assert.deepEqual((await up.stateDict()).get("weight"), weight);
  for (const t of [y, gpu]) t.dispose();
  up.dispose();
});

Deno.test("default init is seeded and bounded by 1/√fanIn", async () => {
  const a = new Conv3d({
    inChannels: 2,
    outChannels: 4,
    kernelSize: 3,
    generator: new RandomGenerator(5),
  });
  const b = new Conv3d({
    inChannels: 2,
    outChannels: 4,
    kernelSize: 3,
    generator: new RandomGenerator(5),
  });
  const wa = await a.weight.read();
  assert.deepEqual(wa, await b.weight.read());
  const bound = 1 / Math.sqrt(2 * 27);
  assert.ok(wa.every((v) => Math.abs(v) <= bound));
  a.dispose();
  b.dispose();
});

Deno.test("tiny PyTorch conv net loads with loadStateDict and reproduces torch's output", async () => {
  const dir = new URL("../fixtures/core/", import.meta.url);
  const weights = await readSafetensors(new URL("tiny_convnet.safetensors", dir).pathname);
  const io = await readSafetensors(new URL("tiny_convnet_io.safetensors", dir).pathname);
  const net = new Sequential(
    new Conv3d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
    new InstanceNorm({ numFeatures: 4, affine: true }),
    new LeakyReLU({ negativeSlope: 0.01 }),
    new Conv3d({ inChannels: 4, outChannels: 2, kernelSize: 1 }),
  );
  // torch names its children conv1, norm, act, conv2; ours are numbered like nn.Sequential.
  const rename = new Map([["conv1", "0"], ["norm", "1"], ["conv2", "3"]]);
  const dict = new Map(
    [...weights.tensors].map(([k, v]) => {
      const [head, ...rest] = k.split(".");
      return [[rename.get(head), ...rest].join("."), v];
    }),
  );
  net.eval().loadStateDict(dict);
  const input = io.tensors.get("input")!; // 1×1×5×6×7 NCDHW
  const output = io.tensors.get("output")!; // 1×2×5×6×7
  const x = Tensor.from(input.data as Float32Array, input.shape);
  const xLast = permute(x, [0, 2, 3, 4, 1]);
  const y = net.forward(xLast);
  const yFirst = permute(y, [0, 4, 1, 2, 3]);
  assert.deepEqual(yFirst.shape, output.shape);
  assertClose(await yFirst.read(), output.data as Float32Array, {
    rtol: 0,
    atol: 1e-4,
    label: "tiny convnet",
  });
  for (const t of [x, xLast, y, yFirst]) t.dispose();
  net.dispose();
});
