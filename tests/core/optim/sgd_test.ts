import assert from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import { OptimizerConfigError, SGD, type SGDOptions } from "../../../core/optim/mod.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";
import { type SgdRefState, sgdStepRef } from "../../reference/optim.ts";

await setupGpu();

const SHAPES = [[37], [5, 3], [1]];

function makeParams(seed: number): { gpu: Tensor[]; ref: Float64Array[] } {
  const ref = SHAPES.map((s, i) => randomValues(s.reduce((a, b) => a * b, 1), seed + i));
  return { gpu: ref.map((r, i) => Tensor.from(r, SHAPES[i]).keep()), ref };
}

function setGrads(params: Tensor[], seed: number, skip = -1): Float64Array[] {
  return params.map((p, i) => {
    const g = randomValues(p.size, seed * 31 + i, -2, 2);
    if (i !== skip) p.grad = Tensor.from(g, p.shape).keep();
    return g;
  });
}

async function checkAgainstReference(label: string, options: Omit<SGDOptions, "lr">) {
  const before = memoryStats().liveBuffers;
  const { gpu, ref } = makeParams(3);
  const optimizer = new SGD(gpu, { lr: 0.1, ...options });
  const full = {
    lr: 0.1,
    momentum: options.momentum ?? 0,
    dampening: options.dampening ?? 0,
    weightDecay: options.weightDecay ?? 0,
    nesterov: options.nesterov ?? false,
  };
  const states: SgdRefState[] = ref.map(() => ({}));
  for (let step = 0; step < 4; step++) {
    // the learning rate changes every step, as a schedule would set it
    optimizer.lr = full.lr = 0.1 / (1 + step);
    const skip = step === 1 ? 2 : -1;
    const grads = setGrads(gpu, step + 1, skip);
    optimizer.step();
    optimizer.zeroGrad();
    ref.forEach((p, i) => {
      if (i !== skip) sgdStepRef(p, grads[i], states[i], full);
    });
  }
  for (let i = 0; i < gpu.length; i++) {
    assertClose(await gpu[i].read(), ref[i], { rtol: 1e-5, atol: 1e-6, label: `${label} p${i}` });
  }
  optimizer.dispose();
  for (const p of gpu) p.dispose();
  assert.equal(memoryStats().liveBuffers, before, `${label}: buffers leaked`);
}

Deno.test("SGD without momentum matches the float64 reference", async () => {
  await checkAgainstReference("plain", {});
  await checkAgainstReference("plain+wd", { weightDecay: 0.05 });
});

Deno.test("SGD with momentum, dampening and weight decay matches the reference", async () => {
  await checkAgainstReference("momentum", { momentum: 0.9, dampening: 0.1, weightDecay: 0.01 });
});

Deno.test("SGD with Nesterov momentum (nnU-Net settings) matches the reference", async () => {
  await checkAgainstReference("nesterov", { momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
});

Deno.test("SGD state dict round trip continues identically", async () => {
  const a = makeParams(9);
  const b = makeParams(9);
  const options = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 };
  const first = new SGD(a.gpu, options);
  for (let step = 0; step < 2; step++) {
    setGrads(a.gpu, step);
    first.step();
    first.zeroGrad();
  }
  const saved = await first.stateDict();
  assert.equal(saved.kind, "sgd");
  assert.deepEqual(saved.steps, [2, 2, 2]);
  assert.deepEqual([...saved.tensors.keys()].sort(), [
    "0.momentum_buffer",
    "1.momentum_buffer",
    "2.momentum_buffer",
  ]);
  const second = new SGD(b.gpu, { lr: 1 });
  for (let i = 0; i < b.gpu.length; i++) b.gpu[i].write(await a.gpu[i].read());
  second.loadStateDict(saved);
  assert.equal(second.lr, 0.05);
  assert.equal(second.nesterov, true);
  for (let step = 2; step < 4; step++) {
    setGrads(a.gpu, step);
    setGrads(b.gpu, step);
    first.step();
    second.step();
    first.zeroGrad();
    second.zeroGrad();
  }
  for (let i = 0; i < a.gpu.length; i++) {
    assert.deepEqual(await b.gpu[i].read(), await a.gpu[i].read());
  }
  for (const t of [...a.gpu, ...b.gpu]) t.dispose();
  first.dispose();
  second.dispose();
});

Deno.test("SGD rejects bad settings and mismatched states", () => {
  const p = Tensor.from([1, 2, 3]).keep();
  assert.throws(() => new SGD([p], { lr: -1 }), OptimizerConfigError);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
  assert.throws(() => new SGD([p, p], { lr: 0.1 }), /more than once/);
  const sgd = new SGD([p], { lr: 0.1 });
  assert.throws(
    () => sgd.loadStateDict({ kind: "adamw", hyper: {}, steps: [0], tensors: new Map() }),
    /"adamw" optimizer state into a "sgd"/,
  );
  assert.throws(
    () =>
      sgd.loadStateDict({
        kind: "sgd",
        hyper: {},
        steps: [1],
        tensors: new Map([[
          "0.momentum_buffer",
          { dtype: "F32", shape: [2], data: new Float32Array(2) },
        ]]),
      }),
    /shape \[2\], parameter 0 is \[3\]/,
  );
  p.dispose();
});
