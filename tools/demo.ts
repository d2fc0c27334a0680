/**
 * `deno task demo`: prints the WebGPU adapter in use and trains a small two-layer network
 * on the GPU (classifying points of two interleaved spirals) until its loss falls,
 * proving the stack end to end: kernels, autograd, batching, memory.
 *
 * @module
 */

import {
  add,
  assign,
  describeGpu,
  getGpu,
  logSoftmax,
  manualSeed,
  matmul,
  mean,
  memoryStats,
  mul,
  noGrad,
  randNormal,
  relu,
  scope,
  sub,
  sum,
  Tensor,
  zeroGrad,
} from "../core/mod.ts";

const POINTS = 512;
const HIDDEN = 64;
const STEPS = 300;
const LEARNING_RATE = 0.5;

function spirals(n: number): { x: Float32Array; oneHot: Float32Array } {
  const x = new Float32Array(n * 2);
  const oneHot = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    const t = (i / n) * 3 * Math.PI + 0.5;
    const r = t / (3 * Math.PI);
    const angle = t + cls * Math.PI;
    x[2 * i] = r * Math.cos(angle);
    x[2 * i + 1] = r * Math.sin(angle);
    oneHot[2 * i + cls] = 1;
  }
  return { x, oneHot };
}

const gpu = await getGpu();
console.log(`adapter: ${describeGpu(gpu)}`);
manualSeed(0);
const data = spirals(POINTS);
const x = Tensor.from(data.x, [POINTS, 2]).keep();
const target = Tensor.from(data.oneHot, [POINTS, 2]).keep();
const params = [
  randNormal([2, HIDDEN], 0, 1),
  randNormal([HIDDEN], 0, 0.1),
  randNormal([HIDDEN, HIDDEN], 0, Math.sqrt(2 / HIDDEN)),
  randNormal([HIDDEN], 0, 0.1),
  randNormal([HIDDEN, 2], 0, Math.sqrt(1 / HIDDEN)),
  randNormal([2], 0, 0.1),
].map((p) => {
  p.keep().requiresGrad = true;
  return p;
});
const [w1, b1, w2, b2, w3, b3] = params;

const start = performance.now();
let firstLoss = NaN;
let lastLoss = NaN;
for (let step = 0; step < STEPS; step++) {
  const loss = scope(() => {
    const h1 = relu(add(matmul(x, w1), b1));
    const h2 = relu(add(matmul(h1, w2), b2));
    const logits = add(matmul(h2, w3), b3);
    return mul(mean(sum(mul(logSoftmax(logits), target), 1)), -1);
  });
  loss.backward();
  noGrad(() => scope(() => params.forEach((p) => assign(p, sub(p, mul(p.grad!, LEARNING_RATE))))));
  zeroGrad(params);
  // Reading the loss is a GPU round trip: do it only every 50 steps.
  if (step % 50 === 0 || step === STEPS - 1) {
    const value = await loss.item();
    if (step === 0) firstLoss = value;
    lastLoss = value;
    console.log(`step ${String(step).padStart(3)}  loss ${value.toFixed(4)}`);
  }
  loss.dispose();
}
const seconds = (performance.now() - start) / 1000;
console.log(
  `trained ${STEPS} steps in ${seconds.toFixed(1)} s (${(STEPS / seconds).toFixed(0)} steps/s); ` +
    `loss ${firstLoss.toFixed(3)} → ${
      lastLoss.toFixed(3)
    }; live GPU buffers ${memoryStats().liveBuffers}`,
);
if (!(lastLoss < firstLoss * 0.5)) {
  console.error("the loss did not fall: something is wrong with this adapter");
  Deno.exit(1);
}
