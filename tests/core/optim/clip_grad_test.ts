import assert from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import { clipGradNorm, OptimizerConfigError } from "../../../core/optim/mod.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";
import { clipGradNormRef } from "../../reference/optim.ts";

await setupGpu();

Deno.test("clipGradNorm matches the reference across chunk boundaries", async () => {
  const before = memoryStats().liveBuffers;
  // 9000 spans three reduction chunks of 4096; the others are small and odd
  const sizes = [9000, 7, 1, 33];
  const grads = sizes.map((n, i) => randomValues(n, 40 + i, -1, 1));
  const params = sizes.map((n, i) => {
    const p = Tensor.from(new Float32Array(n)).keep();
    p.grad = Tensor.from(grads[i]).keep();
    return p;
  });
  const withoutGrad = Tensor.from([1, 2]).keep();
  for (const maxNorm of [1.5, 1e6]) {
    const current = await Promise.all(params.map(async (p) => await p.grad!.read()));
    const expected = clipGradNormRef(current, maxNorm);
    const norm = clipGradNorm([...params, withoutGrad], maxNorm);
    assert.deepEqual(norm.shape, []);
    assertClose([await norm.item()], [expected.norm], { rtol: 1e-5, label: "norm" });
    for (let i = 0; i < params.length; i++) {
      assertClose(await params[i].grad!.read(), expected.clipped[i], {
        rtol: 1e-5,
        atol: 1e-7,
        label: `grad ${i} (maxNorm ${maxNorm})`,
      });
    }
    norm.dispose();
  }
  for (const p of [...params, withoutGrad]) p.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("clipGradNorm: no gradients gives a zero norm; bad maxNorm throws", async () => {
  const p = Tensor.from([1, 2]).keep();
  const norm = clipGradNorm([p], 1);
  assert.equal(await norm.item(), 0);
  norm.dispose();
  assert.throws(() => clipGradNorm([p], -1), OptimizerConfigError);
  assert.throws(() => clipGradNorm([p], NaN), OptimizerConfigError);
  p.dispose();
});
