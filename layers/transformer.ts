/**
 * Transformer layers for token sequences (N, tokens, hidden): multi-head self-attention,
 * the two-layer GELU MLP, the pre-norm transformer block, and the 3-D patch embedding that
 * turns a channels-last volume into tokens. Child names follow MONAI's ViT
 * (`attn.qkv`, `attn.out_proj`, `mlp.linear1`, `norm1`, `patch_embeddings`,
 * `position_embeddings`), so state dicts line up.
 *
 * @module
 */

import type { Tensor } from "../core/tensor.ts";
import type { RandomGenerator } from "../core/random.ts";
import { globalGenerator, randNormal } from "../core/random.ts";
import { add } from "../core/ops/binary.ts";
import { permute, reshape, slice } from "../core/ops/movement.ts";
import { attention } from "../core/ops/attention.ts";
import { assign } from "../core/ops/assign.ts";
import { zeros } from "../core/ops/creation.ts";
import { noGrad } from "../core/autograd.ts";
import { Module } from "./module.ts";
import { Linear, positiveInteger } from "./linear.ts";
import { LayerNorm } from "./normalization.ts";
import { GELU } from "./activation.ts";
import { Conv3d } from "./conv.ts";
import { LayerArgumentError } from "./errors.ts";

function checkTokens(layer: string, x: Tensor, hidden: number): void {
  if (x.rank !== 3 || x.shape[2] !== hidden) {
    throw new LayerArgumentError(
      `${layer} expects tokens (N, tokens, ${hidden}), got [${x.shape}]`,
    );
  }
}

/** Settings of {@link MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionOptions {
  /** Token width; must be divisible by `heads`. */
  hiddenSize: number;
  /** Attention heads. */
  heads: number;
  /** Learn a bias in the q/k/v projection (default false, as MONAI's UNETR). */
  qkvBias?: boolean;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/**
 * Multi-head self-attention: one Linear makes q, k and v (features ordered
 * (3, heads, headDim)), scaled dot-product attention per head, and an output Linear.
 *
 * @example
 * ```ts
 * import { MultiHeadSelfAttention } from "./transformer.ts";
 * import { globalGenerator, randNormal } from "../core/random.ts";
 * import { getGpu } from "../core/device.ts";
 * await getGpu();
 * const attn = new MultiHeadSelfAttention({ hiddenSize: 16, heads: 2 });
 * const y = attn.forward(randNormal([1, 5, 16])); // [1, 5, 16]
 * ```
 */
export class MultiHeadSelfAttention extends Module {
  /** Token width. */
  readonly hiddenSize: number;
  /** Heads. */
  readonly heads: number;
  /** hidden → 3·hidden projection. */
  readonly qkv: Linear;
  /** hidden → hidden output projection. */
  readonly outProj: Linear;

  /** Creates the layer. */
  constructor(options: MultiHeadSelfAttentionOptions) {
    super();
    const name = "MultiHeadSelfAttention";
    this.hiddenSize = positiveInteger(name, "hiddenSize", options.hiddenSize);
    this.heads = positiveInteger(name, "heads", options.heads);
    if (this.hiddenSize % this.heads !== 0) {
      throw new LayerArgumentError(
        `${name}: hiddenSize ${this.hiddenSize} is not divisible by ${this.heads} heads`,
      );
    }
    const { generator } = options;
    const h = this.hiddenSize;
    this.qkv = this.registerModule(
      "qkv",
      new Linear({ inFeatures: h, outFeatures: 3 * h, bias: options.qkvBias ?? false, generator }),
    );
    this.outProj = this.registerModule(
      "out_proj",
      new Linear({ inFeatures: h, outFeatures: h, generator }),
    );
  }

  /** x (N, T, hidden) → (N, T, hidden). */
  forward(x: Tensor): Tensor {
    checkTokens("MultiHeadSelfAttention", x, this.hiddenSize);
    const [n, t] = x.shape;
    const headDim = this.hiddenSize / this.heads;
    const projected = this.qkv.forward(x);
    const split = reshape(projected, [n, t, 3, this.heads, headDim]);
    projected.dispose();
    const byRole = permute(split, [2, 0, 3, 1, 4]); // (3, N, heads, T, headDim)
    split.dispose();
    const [q, k, v] = [0, 1, 2].map((role) => {
      const part = slice(byRole, [{ start: role, stop: role + 1 }]);
      const view = reshape(part, [n, this.heads, t, headDim]);
      part.dispose();
      return view;
    });
    byRole.dispose();
    const mixed = attention(q, k, v);
    for (const p of [q, k, v]) p.dispose();
    const tokensFirst = permute(mixed, [0, 2, 1, 3]);
    mixed.dispose();
    const merged = reshape(tokensFirst, [n, t, this.hiddenSize]);
    tokensFirst.dispose();
    const y = this.outProj.forward(merged);
    merged.dispose();
    return y;
  }
}

/** Settings of {@link TransformerMlp}. */
export interface TransformerMlpOptions {
  /** Token width. */
  hiddenSize: number;
  /** Width of the inner layer (4·hidden in ViT). */
  mlpDim: number;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/** Linear → GELU (exact) → Linear, children `linear1`, `fn`, `linear2`. */
export class TransformerMlp extends Module {
  /** hidden → mlpDim. */
  readonly linear1: Linear;
  /** The activation. */
  readonly fn: GELU;
  /** mlpDim → hidden. */
  readonly linear2: Linear;

  /** Creates the layer. */
  constructor(options: TransformerMlpOptions) {
    super();
    const hidden = positiveInteger("TransformerMlp", "hiddenSize", options.hiddenSize);
    const inner = positiveInteger("TransformerMlp", "mlpDim", options.mlpDim);
    const { generator } = options;
    this.linear1 = this.registerModule(
      "linear1",
      new Linear({ inFeatures: hidden, outFeatures: inner, generator }),
    );
    this.fn = this.registerModule("fn", new GELU());
    this.linear2 = this.registerModule(
      "linear2",
      new Linear({ inFeatures: inner, outFeatures: hidden, generator }),
    );
  }

  /** x (…, hidden) → (…, hidden). */
  forward(x: Tensor): Tensor {
    const a = this.linear1.forward(x);
    const b = this.fn.forward(a);
    a.dispose();
    const y = this.linear2.forward(b);
    b.dispose();
    return y;
  }
}

/** Settings of {@link TransformerBlock}. */
export interface TransformerBlockOptions extends MultiHeadSelfAttentionOptions {
  /** Width of the MLP's inner layer (default 4·hidden). */
  mlpDim?: number;
  /** LayerNorm epsilon (default 1e-5). */
  eps?: number;
}

/**
 * Pre-norm transformer block: x + attn(norm1(x)), then + mlp(norm2(·)).
 *
 * @example
 * ```ts
 * import { TransformerBlock } from "./transformer.ts";
 * const block = new TransformerBlock({ hiddenSize: 32, heads: 4 });
 * ```
 */
export class TransformerBlock extends Module {
  /** Norm before attention. */
  readonly norm1: LayerNorm;
  /** Self-attention. */
  readonly attn: MultiHeadSelfAttention;
  /** Norm before the MLP. */
  readonly norm2: LayerNorm;
  /** The MLP. */
  readonly mlp: TransformerMlp;

  /** Creates the block. */
  constructor(options: TransformerBlockOptions) {
    super();
    const hidden = positiveInteger("TransformerBlock", "hiddenSize", options.hiddenSize);
    const eps = options.eps ?? 1e-5;
    this.norm1 = this.registerModule("norm1", new LayerNorm({ normalizedShape: hidden, eps }));
    this.attn = this.registerModule("attn", new MultiHeadSelfAttention(options));
    this.norm2 = this.registerModule("norm2", new LayerNorm({ normalizedShape: hidden, eps }));
    this.mlp = this.registerModule(
      "mlp",
      new TransformerMlp({
        hiddenSize: hidden,
        mlpDim: options.mlpDim ?? 4 * hidden,
        generator: options.generator,
      }),
    );
  }

  /** x (N, T, hidden) → (N, T, hidden). */
  forward(x: Tensor): Tensor {
    const h = this.#residual(x, this.norm1, this.attn);
    const y = this.#residual(h, this.norm2, this.mlp);
    h.dispose();
    return y;
  }

  #residual(x: Tensor, norm: LayerNorm, inner: Module): Tensor {
    const normed = norm.forward(x);
    const branch = (inner as Module<[Tensor], Tensor>).forward(normed);
    normed.dispose();
    const y = add(x, branch);
    branch.dispose();
    return y;
  }
}

/** Settings of {@link PatchEmbedding3d}. */
export interface PatchEmbedding3dOptions {
  /** Image channels. */
  inChannels: number;
  /** Token width. */
  hiddenSize: number;
  /** Input volume (D, H, W); each axis must be divisible by the patch size. */
  inputSize: readonly [number, number, number];
  /** Patch edge (D, H, W), or one number for a cube. */
  patchSize: number | readonly [number, number, number];
  /** Standard deviation of the initial position embeddings (default 0.02). */
  positionStd?: number;
  /** Source of the initial values (default: the global generator). */
  generator?: RandomGenerator;
}

/**
 * Cuts a channels-last volume into non-overlapping patches and embeds each as a token: a
 * convolution with kernel = stride = patch size (its channels-last output already is the
 * token sequence, so flattening is a free reshape), plus learned position embeddings.
 *
 * @example
 * ```ts
 * import { PatchEmbedding3d } from "./transformer.ts";
 * const embed = new PatchEmbedding3d({
 *   inChannels: 1,
 *   hiddenSize: 32,
 *   inputSize: [16, 16, 16],
 *   patchSize: 8,
 * }); // (N, 16, 16, 16, 1) → (N, 8, 32)
 * ```
 */
export class PatchEmbedding3d extends Module {
  /** Token width. */
  readonly hiddenSize: number;
  /** Patch edge (D, H, W). */
  readonly patchSize: readonly [number, number, number];
  /** Input volume (D, H, W). */
  readonly inputSize: readonly [number, number, number];
  /** Tokens along (D, H, W). */
  readonly gridSize: readonly [number, number, number];
  /** The patch convolution. */
  readonly patchEmbeddings: Conv3d;
  /** Position embeddings (1, tokens, hidden). */
  readonly positionEmbeddings: Tensor;

  /** Creates the layer. */
  constructor(options: PatchEmbedding3dOptions) {
    super();
    const name = "PatchEmbedding3d";
    const inChannels = positiveInteger(name, "inChannels", options.inChannels);
    this.hiddenSize = positiveInteger(name, "hiddenSize", options.hiddenSize);
    const patch = typeof options.patchSize === "number"
      ? [options.patchSize, options.patchSize, options.patchSize]
      : [...options.patchSize];
    const input = [...options.inputSize];
    if (patch.length !== 3 || input.length !== 3) {
      throw new LayerArgumentError(
        `${name}: patchSize and inputSize need three axes, got [${patch}] and [${input}]`,
      );
    }
    patch.forEach((p) => positiveInteger(name, "patchSize", p));
    input.forEach((s) => positiveInteger(name, "inputSize", s));
    if (input.some((s, a) => s % patch[a] !== 0)) {
      throw new LayerArgumentError(
        `${name}: input size [${input}] is not divisible by the patch size [${patch}] ` +
          "on every axis; choose a patch size that divides it or crop/pad the input",
      );
    }
    this.patchSize = patch as [number, number, number];
    this.inputSize = input as [number, number, number];
    this.gridSize = input.map((s, a) => s / patch[a]) as [number, number, number];
    const tokens = this.gridSize[0] * this.gridSize[1] * this.gridSize[2];
    this.patchEmbeddings = this.registerModule(
      "patch_embeddings",
      new Conv3d({
        inChannels,
        outChannels: this.hiddenSize,
        kernelSize: this.patchSize,
        stride: this.patchSize,
        generator: options.generator,
      }),
    );
    this.positionEmbeddings = this.registerParameter(
      "position_embeddings",
      zeros([1, tokens, this.hiddenSize]),
    );
    noGrad(() => {
      const std = options.positionStd ?? 0.02;
      const generator = options.generator ?? globalGenerator();
      const init = randNormal([1, tokens, this.hiddenSize], 0, std, generator);
      assign(this.positionEmbeddings, init);
      init.dispose();
    });
  }

  /** Tokens in the sequence. */
  get tokens(): number {
    return this.positionEmbeddings.shape[1];
  }

  /** x (N, D, H, W, C) → tokens (N, gD·gH·gW, hidden), token order (d, h, w). */
  forward(x: Tensor): Tensor {
    const [d, h, w] = this.inputSize;
    if (x.rank !== 5 || x.shape[1] !== d || x.shape[2] !== h || x.shape[3] !== w) {
      throw new LayerArgumentError(
        `PatchEmbedding3d built for (N, ${d}, ${h}, ${w}, C) volumes got [${x.shape}]`,
      );
    }
    const patches = this.patchEmbeddings.forward(x);
    const sequence = reshape(patches, [x.shape[0], this.tokens, this.hiddenSize]);
    patches.dispose();
    const y = add(sequence, this.positionEmbeddings);
    sequence.dispose();
    return y;
  }
}
