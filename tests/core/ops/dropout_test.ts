import { backward, memoryStats, mul, RandomGenerator, sum, Tensor } from "../../../core/mod.ts";
import { dropout } from "../../../core/ops/dropout.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";
import { outputsAndGradients } from "../op_check.ts";

await setupGpu();

Deno.test("dropout in training: zero fraction ≈ p, survivors scaled by 1/(1 − p)", async () => {
  const before = memoryStats().liveBuffers;
  const n = 20001;
  const x = Tensor.from(randomValues(n, 3, 1, 2));
  const host = await x.read();
  for (const p of [0.2, 0.5]) {
    const y = dropout(x, p, { training: true, generator: new RandomGenerator(11) });
    const out = await y.read();
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] === 0) zeros++;
      else if (Math.abs(out[i] - host[i] / (1 - p)) > 1e-5 * Math.abs(out[i])) {
        throw new Error(`element ${i}: ${out[i]} is not ${host[i]} / (1 - ${p})`);
      }
    }
    // 5 standard deviations of a binomial fraction.
    const tolerance = 5 * Math.sqrt(p * (1 - p) / n);
    if (Math.abs(zeros / n - p) > tolerance) throw new Error(`zero fraction ${zeros / n} != ${p}`);
    y.dispose();
  }
  x.dispose();
  const leaked = memoryStats().liveBuffers - before;
  if (leaked !== 0) throw new Error(`${leaked} buffers leaked`);
});

Deno.test("dropout backward uses the forward's mask; eval is the identity", async () => {
  const before = memoryStats().liveBuffers;
  const n = 3 * 5 * 7;
  const p = 0.4;
  const x = Tensor.from(randomValues(n, 5, 1, 2), [3, 5, 7]);
  x.requiresGrad = true;
  const weights = randomValues(n, 6);
  const w = Tensor.from(weights, [3, 5, 7]);
  const generator = new RandomGenerator(2);
  const y = dropout(x, p, { training: true, generator });
  // A second draw in between must not change the mask the backward regenerates.
  const other = dropout(x, p, { training: true, generator });
  const product = mul(y, w);
  const loss = sum(product);
  backward(loss);
  const [xs, ys, grad] = [await x.read(), await y.read(), await x.grad!.read()];
  const expected = Array.from(ys, (v, i) => (v === 0 ? 0 : weights[i] / (1 - p)));
  assertClose(grad, expected, { rtol: 1e-5, atol: 1e-6, label: "dropout grad" });
  let kept = 0;
  ys.forEach((v, i) => {
    if (v !== 0) kept++;
    if (v !== 0 && Math.abs(v - xs[i] / (1 - p)) > 1e-5) throw new Error("scaling");
  });
  if (kept === 0 || kept === n) throw new Error(`degenerate mask: ${kept} of ${n} kept`);
  const evalOut = dropout(x, p, { training: false });
  assertClose(await evalOut.read(), xs, { rtol: 0, atol: 0, label: "eval identity" });
  const sameSeed = dropout(x, p, { training: true, generator: new RandomGenerator(2) });
  assertClose(await sameSeed.read(), ys, { rtol: 0, atol: 0, label: "same seed, same mask" });
  for (const t of [x, w, y, other, product, loss, evalOut, sameSeed]) t.dispose();
  const leaked = memoryStats().liveBuffers - before;
  if (leaked !== 0) throw new Error(`${leaked} buffers leaked`);
});

Deno.test("dropout with p = 1 gives zeros and zero gradients", async () => {
  const x = Tensor.from([1, 2, 3]);
  x.requiresGrad = true;
  const y = dropout(x, 1, { training: true });
  const loss = sum(y);
  backward(loss);
  assertClose(await y.read(), [0, 0, 0], { label: "p = 1" });
  assertClose(await x.grad!.read(), [0, 0, 0], { label: "p = 1 grad" });
  for (const t of [x, y, loss]) t.dispose();
});

Deno.test("dropout over more than one storage binding draws the same mask, forward and backward", async () => {
  // 4 KiB bindings (1024 floats): 3 × 1001 elements run in chunks whose counters continue
  // the flat index, so the split mask equals the unsplit one.
  const before = memoryStats().liveBuffers;
  const p = 0.3;
  const shape = [3, 1001];
  const data = randomValues(3 * 1001, 8, 1, 2);
  const run = ([x]: Tensor[]) =>
    dropout(x, p, { training: true, generator: new RandomGenerator(4) });
  const [y, grad] = await outputsAndGradients(run, [{ data, shape }], 4096);
  const [wholeY, wholeGrad] = await outputsAndGradients(run, [{ data, shape }], undefined);
  assertClose(y, wholeY, { rtol: 0, atol: 0, label: "split forward" });
  assertClose(grad, wholeGrad, { rtol: 0, atol: 0, label: "split gradient" });
  // Against the definition: kept elements scaled by 1/(1 − p), gradient r/(1 − p) there.
  const r = randomValues(y.length, 91);
  const expectedY = Array.from(y, (v, i) => (v === 0 ? 0 : data[i] / (1 - p)));
  const expectedGrad = Array.from(y, (v, i) => (v === 0 ? 0 : r[i] / (1 - p)));
  assertClose(y, expectedY, { rtol: 1e-6, atol: 0, label: "split forward vs definition" });
  assertClose(grad, expectedGrad, {
    rtol: 1e-5,
    atol: 1e-7,
    label: "split gradient vs definition",
  });
  const zeros = y.filter((v) => v === 0).length / y.length;
  if (Math.abs(zeros - p) > 5 * Math.sqrt(p * (1 - p) / y.length)) {
    throw new Error(`zero fraction ${zeros} != ${p}`);
  }
  const leaked = memoryStats().liveBuffers - before;
  if (leaked !== 0) throw new Error(`${leaked} buffers leaked`);
});
