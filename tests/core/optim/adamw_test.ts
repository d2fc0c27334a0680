import assert from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import { AdamW, OptimizerConfigError } from "../../../core/optim/mod.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";
import { type AdamWRefState, adamwStepRef } from "../../reference/optim.ts";

await setupGpu();

const SHAPES = [[41], [3, 7], [2]];

function makeParams(seed: number): { gpu: Tensor[]; ref: Float64Array[] } {
  const ref = SHAPES.map((s, i) => randomValues(s.reduce((a, b) => a * b, 1), seed + i));
  return { gpu: ref.map((r, i) => Tensor.from(r, SHAPES[i]).keep()), ref };
}

function setGrads(params: Tensor[], seed: number, skip = -1): Float64Array[] {
  return params.map((p, i) => {
    const g = randomValues(p.size, seed * 17 + i, -1, 1);
    if (i !== skip) p.grad = Tensor.from(g, p.shape).keep();
    return g;
  });
}

Deno.test("AdamW matches the float64 reference over several steps", async () => {
  const before = memoryStats().liveBuffers;
  const { gpu, ref } = makeParams(5);
  const o = { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };
  const optimizer = new AdamW(gpu, {
    lr: o.lr,
    betas: [o.beta1, o.beta2],
    eps: o.eps,
    weightDecay: o.weightDecay,
  });
  const states: AdamWRefState[] = ref.map((p) => ({
    step: 0,
    m: new Float64Array(p.length),
    v: new Float64Array(p.length),
  }));
  for (let step = 0; step < 5; step++) {
    optimizer.lr = o.lr = 0.01 * (1 - step / 10);
    // parameter 1 misses step 2, so parameters hold different step counts afterwards
    const skip = step === 2 ? 1 : -1;
    const grads = setGrads(gpu, step, skip);
    optimizer.step();
    optimizer.zeroGrad();
    ref.forEach((p, i) => {
      if (i !== skip) adamwStepRef(p, grads[i], states[i], o);
    });
  }
  for (let i = 0; i < gpu.length; i++) {
    assertClose(await gpu[i].read(), ref[i], { rtol: 1e-5, atol: 1e-6, label: `p${i}` });
  }
  const saved = await optimizer.stateDict();
  assert.deepEqual(saved.steps, [5, 4, 5]);
  assertClose(saved.tensors.get("1.exp_avg_sq")!.data as Float32Array, states[1].v, {
    rtol: 1e-5,
    atol: 1e-7,
    label: "exp_avg_sq",
  });
  optimizer.dispose();
  for (const p of gpu) p.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("AdamW state dict round trip continues identically", async () => {
  const a = makeParams(8);
  const b = makeParams(8);
  const first = new AdamW(a.gpu, { lr: 3e-3, weightDecay: 0.05 });
  for (let step = 0; step < 3; step++) {
    setGrads(a.gpu, step);
    first.step();
    first.zeroGrad();
  }
  const saved = await first.stateDict();
  const second = new AdamW(b.gpu, { lr: 1 });
  for (let i = 0; i < b.gpu.length; i++) b.gpu[i].write(await a.gpu[i].read());
  second.loadStateDict(saved);
  for (let step = 3; step < 5; step++) {
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

Deno.test("AdamW rejects bad betas", () => {
  const p = Tensor.from([1]).keep();
  assert.throws(() => new AdamW([p], { lr: 0.1, betas: [1, 0.9] }), OptimizerConfigError);
  assert.throws(() => new AdamW([p], { lr: 0.1, eps: -1 }), /eps must be/);
  p.dispose();
});
