import assert from "node:assert/strict";
import { memoryStats, mul, scope, sum, Tensor } from "../../core/mod.ts";
import { Linear } from "../../layers/linear.ts";
import { LayerArgumentError } from "../../layers/errors.ts";
import { assertClose, randomValues, setupGpu } from "../helpers.ts";

await setupGpu();

/** y[n, o] = Σ_i x[n, i] W[o, i] + b[o] in float64. */
function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  i: number,
  o: number,
) {
  const y = new Float64Array(n * o);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < o; c++) {
      let s = b[c];
      for (let k = 0; k < i; k++) s += x[r * i + k] * w[c * i + k];
      y[r * o + c] = s;
    }
  }
  return y;
}

Deno.test("Linear forward matches the float64 reference (batched and rank 1)", async () => {
  const before = memoryStats().liveBuffers;
  const layer = new Linear({ inFeatures: 7, outFeatures: 5 });
  const w = await layer.weight.read();
  const b = await layer.bias!.read();
  for (const shape of [[3, 7], [2, 3, 7], [7]]) {
    const n = shape.reduce((p, q) => p * q, 1) / 7;
    const xs = randomValues(n * 7, shape.length);
    const x = Tensor.from(xs, shape);
    const y = layer.forward(x);
    assert.deepEqual(y.shape, [...shape.slice(0, -1), 5]);
    assertClose(await y.read(), linearRef(xs, w, b, n, 7, 5), {
      rtol: 1e-5,
      atol: 1e-5,
      label: `[${shape}]`,
    });
    x.dispose();
    y.dispose();
  }
  layer.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});

Deno.test("Linear gradients of weight, bias and input match the analytic ones", async () => {
  const layer = new Linear({ inFeatures: 3, outFeatures: 4 });
  const xs = randomValues(2 * 3, 11);
  const gs = randomValues(2 * 4, 12);
  const x = Tensor.from(xs, [2, 3]);
  x.requiresGrad = true;
  const loss = scope(() => sum(mul(layer.forward(x), Tensor.from(gs, [2, 4]))));
  loss.backward();
  const w = await layer.weight.read();
  const dW = new Float64Array(12);
  const dB = new Float64Array(4);
  const dX = new Float64Array(6);
  for (let n = 0; n < 2; n++) {
    for (let o = 0; o < 4; o++) {
      dB[o] += gs[n * 4 + o];
      for (let i = 0; i < 3; i++) {
        dW[o * 3 + i] += gs[n * 4 + o] * xs[n * 3 + i];
        dX[n * 3 + i] += gs[n * 4 + o] * w[o * 3 + i];
      }
    }
  }
  assertClose(await layer.weight.grad!.read(), dW, { rtol: 1e-5, atol: 1e-6, label: "dW" });
  assertClose(await layer.bias!.grad!.read(), dB, { rtol: 1e-5, atol: 1e-6, label: "dB" });
  assertClose(await x.grad!.read(), dX, { rtol: 1e-5, atol: 1e-6, label: "dX" });
  loss.dispose();
  x.dispose();
  layer.dispose();
});

Deno.test("Linear without bias and bad arguments", () => {
  const layer = new Linear({ inFeatures: 2, outFeatures: 3, bias: false });
  assert.deepEqual([...layer.namedParameters().keys()], ["weight"]);
  const x = Tensor.from([1, 2, 3], [1, 3]);
  assert.throws(() => layer.forward(x), /Linear\(2 → 3\) got input \[1,3\]/);
  assert.throws(() => new Linear({ inFeatures: 0, outFeatures: 1 }), LayerArgumentError);
  x.dispose();
  layer.dispose();
});
