/**
 * End-to-end check of the volumetric kernels: a small 3-D conv net (conv → instance
 * norm + LeakyReLU, twice, then a 1×1×1 head) trained with Dice + CE on spheres in noise
 * must segment unseen volumes with Dice > 0.9, within a minute on llvmpipe.
 */
import { strict as assert } from "node:assert";
import {
  argmaxLastAxis,
  assign,
  conv3d,
  diceCrossEntropyLoss,
  instanceNormActivation,
  mul,
  noGrad,
  RandomGenerator,
  scope,
  sub,
  type Tensor,
  Tensor as T,
  zeroGrad,
} from "../../core/mod.ts";
import { seededRandom, setupGpu } from "../helpers.ts";

await setupGpu();

const SIZE = 16;

function spheres(batch: number, seed: number): { image: Float32Array; label: Int32Array } {
  const random = seededRandom(seed);
  const voxels = SIZE ** 3;
  const image = new Float32Array(batch * voxels);
  const label = new Int32Array(batch * voxels);
  for (let b = 0; b < batch; b++) {
    const r = 3 + 2 * random();
    const c = [0, 1, 2].map(() => r + 1 + random() * (SIZE - 2 * r - 2));
    for (let z = 0; z < SIZE; z++) {
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const i = b * voxels + (z * SIZE + y) * SIZE + x;
          const inside = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 <= r * r;
          label[i] = inside ? 1 : 0;
          // Box–Muller noise, σ = 0.5 around intensities 0 / 1
          const noise = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
          image[i] = (inside ? 1 : 0) + 0.5 * noise;
        }
      }
    }
  }
  return { image, label };
}

Deno.test("a small 3-D conv net learns spheres in noise to Dice > 0.9", async () => {
  const generator = new RandomGenerator(3);
  const he = (fanIn: number) => Math.sqrt(2 / fanIn);
  const params = [
    generator.normal([3, 3, 3, 1, 8], 0, he(27)),
    generator.normal([3, 3, 3, 8, 8], 0, he(27 * 8)),
    generator.normal([1, 1, 1, 8, 2], 0, he(8)),
    generator.normal([2], 0, 0),
  ].map((p) => {
    p.keep().requiresGrad = true;
    return p;
  });
  const [w1, w2, w3, b3] = params;
  const forward = (x: Tensor) => {
    const h1 = instanceNormActivation(
      conv3d(x, w1, undefined, { padding: 1 }),
      undefined,
      undefined,
      {
        activation: "leakyRelu",
      },
    );
    const h2 = instanceNormActivation(
      conv3d(h1, w2, undefined, { padding: 1 }),
      undefined,
      undefined,
      {
        activation: "leakyRelu",
      },
    );
    return conv3d(h2, w3, b3);
  };
  const started = performance.now();
  const velocity = params.map((p) => T.from(new Float32Array(p.size), [...p.shape]).keep());
  for (let step = 0; step < 200; step++) {
    const { image, label } = spheres(2, step);
    const x = T.from(image, [2, SIZE, SIZE, SIZE, 1]);
    const y = T.from(label, [2, SIZE, SIZE, SIZE], "i32");
    const loss = scope(() => diceCrossEntropyLoss(forward(x), y));
    loss.backward();
    noGrad(() =>
      scope(() =>
        params.forEach((p, i) => {
          // SGD with momentum 0.9
          const v = sub(mul(velocity[i], 0.9), mul(p.grad!, 0.05));
          assign(velocity[i], v);
          assign(p, sub(p, mul(v, -1)));
        })
      )
    );
    zeroGrad(params);
    for (const t of [x, y, loss]) t.dispose();
  }
  const { image, label } = spheres(4, 999);
  const predicted = await noGrad(() =>
    scope(() => argmaxLastAxis(forward(T.from(image, [4, SIZE, SIZE, SIZE, 1]))))
  ).read();
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < label.length; i++) {
    if (predicted[i] === 1 && label[i] === 1) tp++;
    else if (predicted[i] === 1) fp++;
    else if (label[i] === 1) fn++;
  }
  const dice = (2 * tp) / (2 * tp + fp + fn);
  const seconds = (performance.now() - started) / 1000;
  console.log(`spheres: Dice ${dice.toFixed(3)} after 200 steps in ${seconds.toFixed(1)} s`);
  assert.ok(dice > 0.9, `Dice ${dice}`);
  for (const t of [...params, ...velocity]) t.dispose();
});
