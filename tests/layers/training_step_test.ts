import assert from "node:assert/strict";
import { mean, memoryStats, mul, RandomGenerator, scope, sub, Tensor } from "../../core/mod.ts";
import { AdamW, clipGradNorm, EMA, PolyLR, SGD } from "../../core/optim/mod.ts";
import { Sequential } from "../../layers/containers.ts";
import { Linear } from "../../layers/linear.ts";
import { Tanh } from "../../layers/activation.ts";
import { randomValues, setupGpu } from "../helpers.ts";

await setupGpu();

/** Fits y = sin-ish targets with a small MLP; returns the first and last loss. */
async function fit(makeOptimizer: (params: Tensor[]) => SGD | AdamW): Promise<[number, number]> {
  const net = new Sequential(
    new Linear({ inFeatures: 3, outFeatures: 16, generator: new RandomGenerator(1) }),
    new Tanh(),
    new Linear({ inFeatures: 16, outFeatures: 1, generator: new RandomGenerator(2) }),
  );
  const xs = randomValues(32 * 3, 5);
  const ys = Float64Array.from({ length: 32 }, (_, i) => Math.sin(xs[3 * i] + 2 * xs[3 * i + 1]));
  const x = Tensor.from(xs, [32, 3]);
  const y = Tensor.from(ys, [32, 1]);
  const optimizer = makeOptimizer(net.parameters());
  const schedule = new PolyLR({ baseLR: optimizer.lr, totalSteps: 60 });
  const ema = new EMA(net, { decay: 0.9, warmup: true });
  const losses: Tensor[] = [];
  for (let step = 0; step < 60; step++) {
    const loss = scope(() => {
      const err = sub(net.forward(x), y);
      return mean(mul(err, err));
    });
    loss.backward();
    clipGradNorm(net.parameters(), 1).dispose();
    optimizer.lr = schedule.lr();
    optimizer.step();
    optimizer.zeroGrad();
    ema.update();
    schedule.step();
    if (step === 0 || step === 59) losses.push(loss);
    else loss.dispose();
  }
  const [first, last] = [await losses[0].item(), await losses[1].item()];
  // evaluating with the averaged weights and swapping back leaves the live ones intact
  const live = await net.stateDict();
  ema.swapIn();
  ema.swapOut();
  assert.deepEqual(await net.stateDict(), live);
  for (const t of [...losses, x, y]) t.dispose();
  optimizer.dispose();
  ema.dispose();
  net.dispose();
  return [first, last];
}

Deno.test("a training loop with SGD (Nesterov), clipping, EMA and a schedule reduces the loss", async () => {
  const before = memoryStats().liveBuffers;
  const [first, last] = await fit((p) =>
    new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })
  );
  assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
  const [firstA, lastA] = await fit((p) => new AdamW(p, { lr: 0.02 }));
  assert.ok(lastA < firstA * 0.5, `AdamW loss ${firstA} → ${lastA}`);
  assert.equal(memoryStats().liveBuffers, before);
});
