import { deepEqual, equal, ok } from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import {
  addGaussianNoise,
  adjustContrast,
  adjustGamma,
  BatchAugmenter,
  channelStatistics,
  gaussianBlur,
  identityAugmentation,
  lowResolutionSize,
  resampleAffine,
  scaleBrightness,
  simulateLowResolution,
  spatialMatrix,
} from "../../../data/augmentation/mod.ts";
import { assertClose, randomValues, seededRandom, setupGpu } from "../../helpers.ts";
import {
  affineReference,
  blurReference,
  brightnessReference,
  contrastReference,
  gammaReference,
  type HostBatch,
  lowResolutionReference,
  statisticsReference,
} from "./reference.ts";

await setupGpu();

type Size = [number, number, number];
const SIZE: Size = [7, 9, 11];

function hostBatch(size: Size, seed: number, batch = 2, channels = 2, low = -1, high = 2) {
  const n = batch * size[0] * size[1] * size[2] * channels;
  return { data: randomValues(n, seed, low, high), batch, size, channels } as HostBatch;
}

function upload(b: HostBatch): Tensor {
  return Tensor.from(Float32Array.from(b.data), [b.batch, ...b.size, b.channels], "f32");
}

function randomLabel(b: HostBatch, seed: number, classes = [0, 1, 3]): Int32Array {
  const r = seededRandom(seed);
  const voxels = b.batch * b.size[0] * b.size[1] * b.size[2];
  return Int32Array.from({ length: voxels }, () => classes[Math.floor(r() * classes.length)]);
}

async function spatialRun(
  b: HostBatch,
  label: Int32Array,
  matrices: Float32Array,
  outSize: Size,
): Promise<{ image: Float32Array; label: Int32Array }> {
  const image = upload(b);
  const labels = Tensor.from(label, [b.batch, ...b.size], "i32");
  const out = resampleAffine(image, labels, matrices, outSize);
  const result = {
    image: (await out.image.read()) as Float32Array,
    label: (await out.label.read()) as Int32Array,
  };
  for (const t of [image, labels, out.image, out.label]) t.dispose();
  return result;
}

function matricesOf(samples: Parameters<typeof spatialMatrix>[0][], inSize: Size, outSize: Size) {
  const m = new Float32Array(12 * samples.length);
  samples.forEach((s, n) => m.set(spatialMatrix(s, inSize, outSize), 12 * n));
  return m;
}

Deno.test("affine resampling: identity and centre crop return the input exactly", async () => {
  const start = memoryStats().liveBuffers;
  const b = hostBatch([9, 12, 13], 1);
  const label = randomLabel(b, 2);
  const none = { mirror: [false, false, false] as [boolean, boolean, boolean] };
  for (const outSize of [[9, 12, 13], SIZE] as Size[]) {
    const m = matricesOf([none, none], b.size, outSize);
    const got = await spatialRun(b, label, m, outSize);
    const ref = affineReference(b, label, m, outSize);
    deepEqual([...got.image], [...ref.image].map(Math.fround), `crop to [${outSize}]`);
    deepEqual([...got.label], [...ref.label]);
  }
  equal(memoryStats().liveBuffers, start);
});

Deno.test("affine resampling: 90° rotation and mirrors are index permutations", async () => {
  const size: Size = [7, 9, 9];
  const b = hostBatch(size, 3);
  const label = randomLabel(b, 4);
  const samples = [
    {
      rotation: [Math.PI / 2, 0, 0] as Size,
      mirror: [false, false, false] as [boolean, boolean, boolean],
    },
    { mirror: [true, false, true] as [boolean, boolean, boolean] },
  ];
  const got = await spatialRun(b, label, matricesOf(samples, size, size), size);
  const [D, H, W] = size;
  const C = b.channels;
  for (let d = 0; d < D; d++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        // sample 0: in_h = (W − 1) − w, in_w = h; sample 1: d and w mirrored
        const sources = [[0, d, W - 1 - w, h], [1, D - 1 - d, h, W - 1 - w]];
        for (const [n, z, y, x] of sources) {
          const o = ((n * D + d) * H + h) * W + w;
          const i = ((n * D + z) * H + y) * W + x;
          equal(got.label[o], label[i]);
          for (let c = 0; c < C; c++) equal(got.image[o * C + c], Math.fround(b.data[i * C + c]));
        }
      }
    }
  }
});

Deno.test("affine resampling: random rotation, scale and mirror vs float64 trilinear", async () => {
  const start = memoryStats().liveBuffers;
  const inSize: Size = [10, 12, 13];
  const b = hostBatch(inSize, 5);
  const classes = [0, 2, 5];
  const label = randomLabel(b, 6, classes);
  const samples = [
    {
      rotation: [0.4, -0.3, 0.2] as Size,
      scale: 1.3,
      mirror: [true, false, false] as [boolean, boolean, boolean],
    },
    {
      rotation: [-0.5, 0.1, 0.45] as Size,
      scale: 0.75,
      mirror: [false, true, true] as [boolean, boolean, boolean],
    },
  ];
  const m = matricesOf(samples, inSize, SIZE);
  const got = await spatialRun(b, label, m, SIZE);
  const ref = affineReference(b, label, m, SIZE);
  assertClose(got.image, ref.image, { atol: 2e-5, rtol: 1e-5, label: "trilinear" });
  let mismatches = 0;
  for (let v = 0; v < got.label.length; v++) {
    ok(classes.includes(got.label[v]), `label ${got.label[v]} not in the original set`);
    if (got.label[v] !== ref.label[v]) {
      mismatches++;
      ok(ref.tieDistance[v] < 1e-4, `label differs at ${v} away from a rounding tie`);
    }
  }
  ok(mismatches <= 3);
  equal(memoryStats().liveBuffers, start);
});

Deno.test("channel statistics vs float64", async () => {
  const b = hostBatch(SIZE, 7, 2, 2, 100, 103);
  const image = upload(b);
  const stats = channelStatistics(image);
  assertClose(await stats.read(), statisticsReference(b).flat(), { rtol: 1e-5, atol: 1e-5 });
  image.dispose();
  stats.dispose();
});

Deno.test("brightness, contrast, gamma and inverted gamma vs float64 formulas", async () => {
  const start = memoryStats().liveBuffers;
  const b = hostBatch(SIZE, 8, 2, 2, 0.5, 3);
  const cases: Array<[string, (x: Tensor) => void, Float64Array]> = [];
  const bright = [1.2, undefined, 0.8, 0.9];
  cases.push(["brightness", (x) => scaleBrightness(x, bright), brightnessReference(b, bright)]);
  const contrast = [1.25, 0.75, undefined, 1.1];
  cases.push(["contrast", (x) => adjustContrast(x, contrast), contrastReference(b, contrast)]);
  const gammas = [0.7, 1.5, undefined, 1.2];
  cases.push(["gamma", (x) => adjustGamma(x, gammas, false), gammaReference(b, gammas, false)]);
  cases.push(["inverted", (x) => adjustGamma(x, gammas, true), gammaReference(b, gammas, true)]);
  for (const [label, run, expected] of cases) {
    const x = upload(b);
    run(x);
    assertClose(await x.read(), expected, { rtol: 2e-5, atol: 2e-5, label });
    x.dispose();
  }
  equal(memoryStats().liveBuffers, start);
});

Deno.test("Gaussian blur vs float64 separable convolution with reflected borders", async () => {
  const b = hostBatch(SIZE, 9);
  const sigmas: Array<Size | undefined> = [[0.5, 1, 0.7], undefined, [1, 0.6, 0.9], [
    0.8,
    0.8,
    0.5,
  ]];
  const x = upload(b);
  const y = gaussianBlur(x, sigmas);
  assertClose(await y.read(), blurReference(b, sigmas), { rtol: 1e-5, atol: 1e-5 });
  x.dispose();
  y.dispose();
});

Deno.test("simulated low resolution vs float64 (nearest down, linear up)", async () => {
  const b = hostBatch(SIZE, 10);
  const zooms = [0.5, undefined, 0.73, 1];
  const lowSizes = zooms.map((z) =>
    z === undefined ? undefined : SIZE.map((s) => lowResolutionSize(s, z)) as Size
  );
  const x = upload(b);
  const y = simulateLowResolution(x, zooms);
  assertClose(await y.read(), lowResolutionReference(b, lowSizes), { rtol: 1e-5, atol: 1e-5 });
  x.dispose();
  y.dispose();
});

Deno.test("Gaussian noise: mean 0 and the drawn σ; untouched samples stay exact", async () => {
  const size: Size = [9, 11, 13];
  const b: HostBatch = {
    data: new Float64Array(2 * 9 * 11 * 13 * 2).fill(1),
    batch: 2,
    size,
    channels: 2,
  };
  const x = upload(b);
  addGaussianNoise(x, [0.1, 0], { key: 12345, counter: 0 });
  const got = await x.read();
  const half = got.length / 2;
  let sum = 0, squares = 0;
  for (let i = 0; i < half; i++) {
    sum += got[i] - 1;
    squares += (got[i] - 1) ** 2;
  }
  const mean = sum / half;
  const std = Math.sqrt(squares / half - mean * mean);
  ok(Math.abs(mean) < 0.01, `noise mean ${mean}`);
  ok(Math.abs(std - 0.1) < 0.006, `noise std ${std}`);
  for (let i = half; i < got.length; i++) equal(got[i], 1);
  x.dispose();
});

Deno.test("BatchAugmenter: deterministic from seed and state; labels keep their values", async () => {
  const start = memoryStats().liveBuffers;
  const inSize: Size = [11, 13, 15];
  const b = hostBatch(inSize, 11, 2, 1, 0, 1);
  const label = randomLabel(b, 12, [0, 1, 2]);
  const everything = {
    rotation: { probability: 1 },
    scaling: { probability: 1 },
    noise: { probability: 1 },
    blur: { probability: 1 },
    brightness: { probability: 1 },
    contrast: { probability: 1 },
    lowResolution: { probability: 1 },
    invertedGamma: { probability: 1 },
    gamma: { probability: 1 },
  };
  const run = async (augmenter: BatchAugmenter) => {
    const image = upload(b);
    const labels = Tensor.from(label, [b.batch, ...inSize], "i32");
    const out = augmenter.augment(image, labels);
    const result = [await out.image.read(), await out.label.read()];
    for (const t of [image, labels, out.image, out.label]) t.dispose();
    return result;
  };
  const first = new BatchAugmenter({ outputSize: SIZE, config: everything, seed: 3 });
  const a = await run(first);
  const saved = first.state();
  const b1 = await run(first);
  const second = new BatchAugmenter({ outputSize: SIZE, config: everything, seed: 3 });
  deepEqual(await run(second), a);
  second.setState(saved);
  deepEqual(await run(second), b1);
  ok([...a[1]].every((v) => v === 0 || v === 1 || v === 2));
  ok([...a[0]].every(Number.isFinite));
  // with everything off, the pipeline is an exact centre crop
  const none = new BatchAugmenter({ outputSize: inSize, config: { mirror: [0, 0, 0], ...off() } });
  const plain = await run(none);
  deepEqual([...plain[0]], [...b.data].map(Math.fround));
  deepEqual([...plain[1]], [...label]);
  equal(identityAugmentation(2).brightness.length, 2);
  equal(memoryStats().liveBuffers, start);
});

function off() {
  const p = { probability: 0 };
  return {
    rotation: p,
    scaling: p,
    noise: p,
    blur: p,
    brightness: p,
    contrast: p,
    lowResolution: p,
    invertedGamma: p,
    gamma: p,
  };
}
