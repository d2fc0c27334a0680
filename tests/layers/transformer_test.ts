import assert from "node:assert/strict";
import { memoryStats, mul, scope, sum, Tensor } from "../../core/mod.ts";
import type { HostTensor } from "../../core/serialize/host_tensor.ts";
import {
  MultiHeadSelfAttention,
  PatchEmbedding3d,
  TransformerBlock,
  TransformerMlp,
} from "../../layers/transformer.ts";
import { LayerArgumentError } from "../../layers/errors.ts";
import type { Module } from "../../layers/module.ts";
import { assertClose, randomPair, randomValues, setupGpu } from "../helpers.ts";
import { type Nd, permute } from "../reference/ndarray.ts";
import { attentionRef } from "../reference/attention.ts";
import { conv3d as conv3dRef } from "../reference/conv.ts";
import { gelu as geluRef, layerNorm as layerNormRef } from "../reference/normalization.ts";

await setupGpu();

type Weights = Map<string, HostTensor>;
const asNd = (h: HostTensor): Nd => ({
  shape: [...h.shape],
  data: Float64Array.from(h.data as Float32Array),
});

/** Gives every parameter random values (so biases and norm affines are exercised). */
async function randomize(module: Module<[Tensor], Tensor>, seed: number): Promise<Weights> {
  const dict = await module.stateDict();
  let s = seed;
  for (const [key, t] of dict) {
    const n = t.data.length;
    dict.set(key, {
      dtype: "F32",
      shape: t.shape,
      data: Float32Array.from(randomValues(n, s++, -0.5, 0.5)),
    });
  }
  module.loadStateDict(dict);
  return dict;
}

/** y = x·Wᵀ + b over the last axis, W in PyTorch's (out, in) layout. */
function linearRef(x: Nd, w: HostTensor, b?: HostTensor): Nd {
  const [out, inner] = w.shape;
  const rows = x.data.length / inner;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = b ? b.data[o] as number : 0;
      for (let i = 0; i < inner; i++) {
        acc += x.data[r * inner + i] * (w.data[o * inner + i] as number);
      }
      y[r * out + o] = acc;
    }
  }
  return { shape: [...x.shape.slice(0, -1), out], data: y };
}

function attentionLayerRef(x: Nd, weights: Weights, heads: number, prefix = ""): Nd {
  const [n, t, hidden] = x.shape;
  const d = hidden / heads;
  const qkv = linearRef(x, weights.get(`${prefix}qkv.weight`)!, weights.get(`${prefix}qkv.bias`));
  const byRole = permute({ shape: [n, t, 3, heads, d], data: qkv.data }, [2, 0, 3, 1, 4]);
  const size = n * heads * t * d;
  const [q, k, v] = [0, 1, 2].map((r) => ({
    shape: [n, heads, t, d],
    data: byRole.data.slice(r * size, (r + 1) * size),
  }));
  const mixed = permute(attentionRef(q, k, v), [0, 2, 1, 3]);
  return linearRef(
    { shape: [n, t, hidden], data: mixed.data },
    weights.get(`${prefix}out_proj.weight`)!,
    weights.get(`${prefix}out_proj.bias`),
  );
}

function mlpRef(x: Nd, weights: Weights, prefix = ""): Nd {
  const a = linearRef(
    x,
    weights.get(`${prefix}linear1.weight`)!,
    weights.get(`${prefix}linear1.bias`),
  );
  const g = { shape: a.shape, data: a.data.map((v) => geluRef(v)) };
  return linearRef(
    g,
    weights.get(`${prefix}linear2.weight`)!,
    weights.get(`${prefix}linear2.bias`),
  );
}

const plus = (a: Nd, b: Nd): Nd => ({ shape: a.shape, data: a.data.map((v, i) => v + b.data[i]) });

function blockRef(x: Nd, weights: Weights, heads: number): Nd {
  const hidden = x.shape[2];
  const norm = (v: Nd, name: string) =>
    layerNormRef(
      v,
      hidden,
      asNd(weights.get(`${name}.weight`)!),
      asNd(weights.get(`${name}.bias`)!),
    );
  const h = plus(x, attentionLayerRef(norm(x, "norm1"), weights, heads, "attn."));
  return plus(h, mlpRef(norm(h, "norm2"), weights, "mlp."));
}

async function checkLayer(
  label: string,
  layer: Module<[Tensor], Tensor>,
  shape: number[],
  reference: (x: Nd, weights: Weights) => Nd,
  seed: number,
): Promise<void> {
  const weights = await randomize(layer, seed);
  const { ref, gpu } = randomPair(shape, seed + 100);
  const y = layer.forward(gpu);
  const expected = reference(ref, weights);
  assert.deepEqual(y.shape, expected.shape, label);
  assertClose(await y.read(), expected.data, { rtol: 1e-4, atol: 1e-5, label });
  y.dispose();
  gpu.dispose();
}

Deno.test("MultiHeadSelfAttention, MLP and TransformerBlock match float64 references", async () => {
  const before = memoryStats().liveBuffers;
  const attn = new MultiHeadSelfAttention({ hiddenSize: 6, heads: 2, qkvBias: true });
  await checkLayer("attention", attn, [2, 5, 6], (x, w) => attentionLayerRef(x, w, 2), 1);
  const mlp = new TransformerMlp({ hiddenSize: 6, mlpDim: 7 });
  await checkLayer("mlp", mlp, [2, 5, 6], (x, w) => mlpRef(x, w), 2);
  const block = new TransformerBlock({ hiddenSize: 6, heads: 3, mlpDim: 5 });
  assert.deepEqual([...block.namedParameters().keys()], [
    "norm1.weight",
    "norm1.bias",
    "attn.qkv.weight",
    "attn.out_proj.weight",
    "attn.out_proj.bias",
    "norm2.weight",
    "norm2.bias",
    "mlp.linear1.weight",
    "mlp.linear1.bias",
    "mlp.linear2.weight",
    "mlp.linear2.bias",
  ]);
  await checkLayer("block", block, [1, 7, 6], (x, w) => blockRef(x, w, 3), 3);
  for (const m of [attn, mlp, block]) m.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("TransformerBlock passes gradients to its input and every parameter", async () => {
  const block = new TransformerBlock({ hiddenSize: 4, heads: 2, mlpDim: 3 });
  const { gpu: x } = randomPair([1, 3, 4], 9);
  x.requiresGrad = true;
  const loss = scope(() =>
    sum(mul(block.forward(x), Tensor.from(randomValues(12, 10), [1, 3, 4])))
  );
  loss.backward();
  for (const [name, p] of [["input", x], ...block.namedParameters()] as [string, Tensor][]) {
    assert.ok(p.grad, `${name} has no gradient`);
    const g = await p.grad.read();
    assert.ok(g.some((v) => v !== 0) && g.every(Number.isFinite), `${name} gradient is zero`);
  }
  loss.dispose();
  x.dispose();
  block.dispose();
});

Deno.test("PatchEmbedding3d is a strided conv flattened to tokens plus position embeddings", async () => {
  const before = memoryStats().liveBuffers;
  const embed = new PatchEmbedding3d({
    inChannels: 2,
    hiddenSize: 5,
    inputSize: [4, 6, 2],
    patchSize: [2, 3, 2],
  });
  assert.deepEqual(embed.gridSize, [2, 2, 1]);
  assert.equal(embed.tokens, 4);
  const weights = await randomize(embed, 20);
  const kernel = asNd({ ...weights.get("patch_embeddings.weight")!, shape: [5, 2, 2, 3, 2] });
  const { ref, gpu } = randomPair([2, 4, 6, 2, 2], 30);
  const y = embed.forward(gpu);
  // (O, I, kD, kH, kW) → (kD, kH, kW, I, O) for the channels-last reference.
  const w = permute(kernel, [2, 3, 4, 1, 0]);
  const conv = conv3dRef(ref, w, asNd(weights.get("patch_embeddings.bias")!), {
    stride: [2, 3, 2],
  });
  const pos = weights.get("position_embeddings")!.data as Float32Array;
  const expected = conv.data.map((v, i) => v + pos[i % (4 * 5)]);
  assert.deepEqual(y.shape, [2, 4, 5]);
  assertClose(await y.read(), expected, { rtol: 1e-4, atol: 1e-5, label: "patch embedding" });
  const wrong = Tensor.from(new Float32Array(64), [1, 4, 4, 2, 2]);
  assert.throws(() => embed.forward(wrong), LayerArgumentError);
  for (const t of [y, gpu, wrong]) t.dispose();
  embed.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("transformer layers reject bad sizes with clear errors", () => {
  assert.throws(
    () => new MultiHeadSelfAttention({ hiddenSize: 10, heads: 3 }),
    (e: Error) => e instanceof LayerArgumentError && e.message.includes("not divisible by 3"),
  );
  assert.throws(
    () =>
      new PatchEmbedding3d({ inChannels: 1, hiddenSize: 4, inputSize: [16, 12, 16], patchSize: 8 }),
    (e: Error) => e instanceof LayerArgumentError && e.message.includes("[16,12,16]"),
  );
});
