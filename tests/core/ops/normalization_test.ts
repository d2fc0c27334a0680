import { throws } from "node:assert/strict";
import { memoryStats, overrideLimit, Tensor } from "../../../core/mod.ts";
import {
  batchNorm,
  groupNorm,
  instanceNorm,
  instanceNormActivation,
  layerNorm,
  NormalizationArgumentError,
} from "../../../core/ops/normalization.ts";
import * as N from "../../reference/normalization.ts";
import { checkOp, outputsAndGradients } from "../op_check.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";

await setupGpu();

const SHAPE_3D = [2, 3, 5, 7];

Deno.test("instanceNorm: affine 3-D with C = 5; plain 2-D with C = 4 (vec4 path)", async () => {
  await checkOp({
    label: "instanceNorm affine",
    shapes: [[...SHAPE_3D, 5], [5], [5]],
    run: ([x, w, b]) => instanceNorm(x, w, b),
    reference: ([x, w, b]) => N.instanceNorm(x, w, b),
    rtol: 1e-4,
    atol: 1e-4,
  });
  await checkOp({
    label: "instanceNorm plain 2-D",
    shapes: [[2, 5, 7, 4]],
    run: ([x]) => instanceNorm(x),
    reference: ([x]) => N.instanceNorm(x),
    rtol: 1e-4,
    atol: 1e-4,
    seed: 3,
  });
});

Deno.test("instanceNormActivation: leakyRelu and relu fused, gradients of x, weight, bias", async () => {
  const cases = [["leakyRelu", 0.2, 3], ["relu", 0, 8]] as const;
  for (const [activation, slope, c] of cases) {
    await checkOp({
      label: `instanceNormActivation ${activation} C=${c}`,
      shapes: [[...SHAPE_3D, c], [c], [c]],
      run: ([x, w, b]) => instanceNormActivation(x, w, b, { activation, negativeSlope: slope }),
      reference: ([x, w, b]) => N.instanceNorm(x, w, b, 1e-5, slope),
      rtol: 1e-4,
      atol: 1e-4,
      seed: 5,
    });
  }
});

Deno.test("instance norm statistics stay accurate on 40³ values with a large mean", async () => {
  const shape = [1, 40, 40, 40, 4];
  const n = shape.reduce((a, b) => a * b, 1);
  const data = randomValues(n, 9, 99, 101); // mean 100, std 0.58: cancellation-prone
  const x = Tensor.from(data, shape);
  const y = instanceNormActivation(x, undefined, undefined, { negativeSlope: 0.01 });
  const expected = N.instanceNorm({ shape, data }, undefined, undefined, 1e-5, 0.01);
  // float32 spacing around 100 is 7.6e-6, so even an exact mean rounds to ~7e-6 in x̂ (σ ≈ 0.58);
  // naive Σx and Σx² in float32 would be off by orders of magnitude more.
  assertClose(await y.read(), expected.data, { rtol: 1e-5, atol: 3e-5, label: "40³ mean 100" });
  x.dispose();
  y.dispose();
});

Deno.test("instance norm + LeakyReLU backward on 24³ values with a large mean vs float64", async () => {
  const before = memoryStats().liveBuffers;
  const shape = [2, 24, 24, 24, 4];
  const n = shape.reduce((a, b) => a * b, 1);
  const data = randomValues(n, 12, 48, 52);
  const gy = randomValues(n, 13);
  const weight = Float64Array.from([0.5, -1, 2, 1.5]);
  const bias = Float64Array.from([0.1, 0, -0.2, 0.3]);
  const x = Tensor.from(data, shape);
  const w = Tensor.from(weight, [4]);
  const b = Tensor.from(bias, [4]);
  const g = Tensor.from(gy, shape);
  for (const t of [x, w, b]) t.requiresGrad = true;
  const y = instanceNormActivation(x, w, b, { negativeSlope: 0.1 });
  y.backward({ grad: g });
  const expected = N.instanceNormActivationGrad({ shape, data }, weight, bias, gy, 0.1);
  assertClose(await x.grad!.read(), expected.x, { rtol: 1e-4, atol: 1e-5, label: "grad x" });
  assertClose(await w.grad!.read(), expected.weight, { rtol: 1e-5, atol: 1e-3, label: "grad w" });
  assertClose(await b.grad!.read(), expected.bias, { rtol: 1e-5, atol: 1e-3, label: "grad b" });
  for (const t of [x, w, b, g, y]) t.dispose();
  const leaked = memoryStats().liveBuffers - before;
  if (leaked !== 0) throw new Error(`${leaked} buffers leaked`);
});

Deno.test("groupNorm over odd groups, affine and not", async () => {
  await checkOp({
    label: "groupNorm C=6 G=3",
    shapes: [[2, 3, 5, 6], [6], [6]],
    run: ([x, w, b]) => groupNorm(x, 3, w, b),
    reference: ([x, w, b]) => N.groupNorm(x, 3, w, b),
    rtol: 1e-4,
    atol: 1e-4,
    seed: 9,
  });
  await checkOp({
    label: "groupNorm 3-D C=8 G=2 no affine",
    shapes: [[2, 3, 5, 7, 8]],
    run: ([x]) => groupNorm(x, 2),
    reference: ([x]) => N.groupNorm(x, 2),
    rtol: 1e-4,
    atol: 1e-4,
  });
});

Deno.test("layerNorm over (tokens, C) and over two trailing axes", async () => {
  await checkOp({
    label: "layerNorm [7, 12]",
    shapes: [[7, 12], [12], [12]],
    run: ([x, w, b]) => layerNorm(x, [12], w, b),
    reference: ([x, w, b]) => N.layerNorm(x, 12, w, b),
    rtol: 1e-4,
    atol: 1e-4,
  });
  await checkOp({
    label: "layerNorm [3, 5, 3] over [5, 3]",
    shapes: [[3, 5, 3], [5, 3], [5, 3]],
    run: ([x, w, b]) => layerNorm(x, [5, 3], w, b),
    reference: ([x, w, b]) => N.layerNorm(x, 15, w, b),
    rtol: 1e-4,
    atol: 1e-4,
    seed: 4,
  });
});

Deno.test("batchNorm training: batch statistics, gradients, running-stat update", async () => {
  const c = 5;
  const runningMean = randomValues(c, 21, -0.5, 0.5);
  const runningVar = randomValues(c, 22, 0.5, 1.5);
  const state = () => ({ mean: runningMean.slice(), variance: runningVar.slice() });
  const rm = Tensor.from(runningMean, [c]);
  const rv = Tensor.from(runningVar, [c]);
  await checkOp({
    label: "batchNorm training",
    shapes: [[2, 3, 5, 7, c], [c], [c]],
    run: ([x, w, b]) => batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.3 }),
    reference: ([x, w, b]) => N.batchNorm(x, state(), w, b, { training: true, momentum: 0.3 }).y,
    rtol: 1e-4,
    atol: 1e-4,
  });
  // Reproduce the inputs checkOp drew (seed 1: inputs 100, 101, 102) for the running stats.
  const x = { shape: [2, 3, 5, 7, c], data: randomValues(2 * 3 * 5 * 7 * c, 100) };
  const expected = N.batchNorm(x, state(), undefined, undefined, { training: true, momentum: 0.3 });
  assertClose(await rm.read(), expected.mean, { rtol: 1e-5, atol: 1e-6, label: "running mean" });
  assertClose(await rv.read(), expected.variance, { rtol: 1e-5, atol: 1e-6, label: "running var" });
  rm.dispose();
  rv.dispose();
});

Deno.test("batchNorm evaluation uses running statistics; train and eval differ", async () => {
  const c = 3;
  const runningMean = randomValues(c, 31, -0.5, 0.5);
  const runningVar = randomValues(c, 32, 0.5, 1.5);
  const running = { mean: runningMean, variance: runningVar };
  await checkOp({
    label: "batchNorm eval",
    shapes: [[4, 5, 3, c], [c], [c]],
    run: ([x, w, b]) => {
      const rm = Tensor.from(runningMean, [c]);
      const rv = Tensor.from(runningVar, [c]);
      const y = batchNorm(x, rm, rv, w, b, { training: false });
      rm.dispose();
      rv.dispose();
      return y;
    },
    reference: ([x, w, b]) => N.batchNorm(x, running, w, b, { training: false }).y,
    rtol: 1e-4,
    atol: 1e-4,
  });
  const data = randomValues(4 * 5 * 3 * c, 7, 2, 4);
  const x = Tensor.from(data, [4, 5, 3, c]);
  const rm = Tensor.from(runningMean, [c]);
  const rv = Tensor.from(runningVar, [c]);
  const train = batchNorm(x, rm, rv, undefined, undefined, { training: true });
  const evalOut = batchNorm(x, undefined, undefined, undefined, undefined, { training: true });
  const trainValues = await train.read();
  const evalNoRunning = await evalOut.read();
  assertClose(trainValues, evalNoRunning, { label: "training without running stats" });
  const evalMode = batchNorm(x, rm, rv, undefined, undefined, { training: false });
  const evalValues = await evalMode.read();
  const differs = evalValues.some((v, i) => Math.abs(v - trainValues[i]) > 0.1);
  if (!differs) throw new Error("evaluation output equals training output");
  for (const t of [x, rm, rv, train, evalOut, evalMode]) t.dispose();
});

Deno.test("normalisation arguments are checked with clear errors, nothing leaks", () => {
  const before = memoryStats().liveBuffers;
  const x = Tensor.from(randomValues(2 * 3 * 6, 1), [2, 3, 6]);
  const w = Tensor.from([1, 2, 3], [3]);
  throws(() => groupNorm(x, 4), NormalizationArgumentError);
  throws(() => instanceNorm(x, w), /weight of shape \[3\] does not match 6 channels/);
  throws(() => layerNorm(x, [3]), /normalizedShape \[3\]/);
  throws(
    () => batchNorm(x, undefined, undefined, undefined, undefined, { training: false }),
    /running statistics/,
  );
  const flat = Tensor.from([1, 2], [1, 2]);
  throws(() => instanceNorm(flat), /rank ≥ 3/);
  for (const t of [x, w, flat]) t.dispose();
  const leaked = memoryStats().liveBuffers - before;
  if (leaked !== 0) throw new Error(`${leaked} buffers leaked`);
});

Deno.test("normalisations of inputs larger than one storage binding run in slabs of samples", async () => {
  // 4 KiB bindings (1024 floats); every input below is larger, one sample is not.
  const cases: Array<{ label: string; shapes: number[][]; run: (t: Tensor[]) => Tensor }> = [
    {
      label: "instance norm + LeakyReLU",
      shapes: [[3, 4, 5, 6, 5], [5], [5]],
      run: ([x, w, b]) => instanceNormActivation(x, w, b),
    },
    {
      label: "group norm",
      shapes: [[3, 5, 7, 6], [6], [6]],
      run: ([x, w, b]) => groupNorm(x, 2, w, b),
    },
    {
      label: "layer norm",
      shapes: [[40, 7, 6], [6], [6]],
      run: ([x, w, b]) => layerNorm(x, [6], w, b),
    },
  ];
  for (const [i, c] of cases.entries()) {
    const before = memoryStats().liveBuffers;
    const values = c.shapes.map((shape, k) => ({
      data: randomValues(shape.reduce((a, b) => a * b, 1), 60 + 10 * i + k),
      shape,
    }));
    const whole = await outputsAndGradients(c.run, values, undefined);
    const split = await outputsAndGradients(c.run, values, 4096);
    ["y", "dx", "dweight", "dbias"].forEach((name, k) =>
      assertClose(split[k], whole[k], { rtol: 1e-5, atol: 1e-5, label: `${c.label} ${name}` })
    );
    if (memoryStats().liveBuffers !== before) throw new Error(`${c.label}: leaked buffers`);
  }
});

Deno.test("batch norm in training cannot split its statistics and says so", () => {
  const x = Tensor.from(new Float32Array(3 * 20 * 30), [3, 20, 30]);
  overrideLimit("maxStorageBufferBindingSize", 4096);
  try {
    throws(
      () => batchNorm(x, undefined, undefined, undefined, undefined, { training: true }),
      /statistics span more than one binding/,
    );
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  x.dispose();
});
