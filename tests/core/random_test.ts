import { strict as assert } from "node:assert";
import { manualSeed, randNormal, RandomGenerator, randUniform } from "../../core/mod.ts";
import { rngU32 } from "../../shaders/random.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("random tensors are reproducible from a seed and differ between draws", async () => {
  manualSeed(7);
  const a = await randUniform([1001]).read();
  const b = await randUniform([1001]).read();
  manualSeed(7);
  const c = await randUniform([1001]).read();
  assert.deepEqual(a, c);
  assert.notDeepEqual(a, b);
});

Deno.test("generator state round trip resumes the stream exactly", async () => {
  const g = new RandomGenerator(3);
  await g.normal([10]).read();
  const state = g.state();
  const next = await g.normal([17]).read();
  const h = new RandomGenerator(99);
  h.setState(state);
  assert.deepEqual(await h.normal([17]).read(), next);
});

Deno.test("GPU random bits match the host definition of the counter-based RNG", async () => {
  const g = new RandomGenerator(12345);
  const { key, counter } = new RandomGenerator(12345).take(64);
  const values = await g.uniform([64]).read();
  for (let i = 0; i < 64; i++) {
    const expected = (rngU32(key, counter + i) >>> 8) * 2 ** -24;
    assert.equal(values[i], Math.fround(expected));
  }
});

Deno.test("uniform and normal have the right moments (n = 200k)", async () => {
  manualSeed(1);
  const u = await randUniform([200_000], -2, 4).read();
  const n = await randNormal([200_000], 1.5, 2).read();
  const stats = (x: Float32Array | Int32Array | Uint32Array) => {
    let s = 0, s2 = 0, lo = Infinity, hi = -Infinity;
    for (const v of x) {
      s += v;
      s2 += v * v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const mean = s / x.length;
    return { mean, std: Math.sqrt(s2 / x.length - mean * mean), lo, hi };
  };
  const su = stats(u);
  assert.ok(Math.abs(su.mean - 1) < 0.02, `uniform mean ${su.mean}`);
  assert.ok(Math.abs(su.std - 6 / Math.sqrt(12)) < 0.02, `uniform std ${su.std}`);
  assert.ok(su.lo >= -2 && su.hi < 4);
  const sn = stats(n);
  assert.ok(Math.abs(sn.mean - 1.5) < 0.02, `normal mean ${sn.mean}`);
  assert.ok(Math.abs(sn.std - 2) < 0.02, `normal std ${sn.std}`);
});
