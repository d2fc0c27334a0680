import { strict as assert } from "node:assert";
import {
  add,
  backward,
  GraphConsumedError,
  memoryStats,
  mul,
  noGrad,
  reshape,
  scope,
  sum,
  Tensor,
  zeroGrad,
} from "../../core/mod.ts";
import { assertClose, setupGpu } from "../helpers.ts";

await setupGpu();

function leaf(values: number[]): Tensor {
  const t = Tensor.from(values);
  t.requiresGrad = true;
  return t;
}

Deno.test("gradients accumulate across backward calls until zeroGrad", async () => {
  const x = leaf([1, 2, 3]);
  for (let i = 0; i < 2; i++) {
    const loss = scope(() => sum(mul(x, x)));
    loss.backward();
    loss.dispose();
  }
  assertClose(await x.grad!.read(), [4, 8, 12]);
  zeroGrad([x]);
  assert.equal(x.grad, undefined);
  x.dispose();
});

Deno.test("a tensor used twice gets the sum of both paths", async () => {
  const x = leaf([2, -1]);
  const loss = scope(() => sum(add(mul(x, 3), mul(x, x))));
  backward(loss);
  assertClose(await x.grad!.read(), [3 + 4, 3 - 2]);
  x.dispose();
  loss.dispose();
});

Deno.test("noGrad records nothing", () => {
  const x = leaf([1]);
  const y = noGrad(() => mul(x, 2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, undefined);
  x.dispose();
  y.dispose();
});

Deno.test("backward twice through a freed graph is an error; retainGraph allows it", async () => {
  const x = leaf([1, 2]);
  const y = mul(x, x);
  const loss = sum(y);
  loss.backward({ retainGraph: true });
  loss.backward();
  assertClose(await x.grad!.read(), [4, 8]);
  assert.throws(() => loss.backward(), GraphConsumedError);
  for (const t of [x, y, loss]) t.dispose();
});

Deno.test("backward with an explicit root gradient", async () => {
  const x = leaf([1, 2, 3]);
  const y = mul(x, x);
  const g = Tensor.from([1, 0, -1]);
  y.backward({ grad: g });
  assertClose(await x.grad!.read(), [2, 0, -6]);
  assertClose(await g.read(), [1, 0, -1]);
  for (const t of [x, y, g]) t.dispose();
});

Deno.test("an explicit root gradient is borrowed: passed through, reused, never aliased", async () => {
  const start = memoryStats().liveBuffers;
  const x = leaf([1, 2, 3]);
  const g = Tensor.from([1, 0, -1]);
  // reshape passes its gradient straight through; x's grad must still be its own tensor.
  const y = reshape(x, [3]);
  y.backward({ grad: g });
  assert.notEqual(x.grad, g);
  assertClose(await x.grad!.read(), [1, 0, -1]);
  // The same seed again, now through an op that reads it: the seed is still intact.
  const z = mul(x, 2);
  z.backward({ grad: g });
  assertClose(await x.grad!.read(), [3, 0, -3]);
  assertClose(await g.read(), [1, 0, -1]);
  // A leaf as the root gets a copy of the seed.
  const w = leaf([5, 6, 7]);
  w.backward({ grad: g });
  assert.notEqual(w.grad, g);
  g.dispose();
  assertClose(await w.grad!.read(), [1, 0, -1]);
  for (const t of [x.grad!, w.grad!, y, z, x, w]) t.dispose();
  assert.equal(memoryStats().liveBuffers, start, "nothing leaks");
});

Deno.test("saved tensors are freed after backward, and graphs dropped without backward leak nothing", () => {
  const x = leaf([1, 2, 3]);
  const start = memoryStats().liveBuffers;
  const loss = scope(() => sum(mul(mul(x, x), x)));
  assert.ok(memoryStats().liveBuffers > start + 1, "the graph keeps intermediates alive");
  loss.backward();
  loss.dispose();
  // only x.grad remains
  assert.equal(memoryStats().liveBuffers, start + 1);
  const dropped = scope(() => sum(mul(mul(x, x), x)));
  dropped.dispose();
  assert.equal(memoryStats().liveBuffers, start + 1);
  x.dispose();
  assert.equal(memoryStats().liveBuffers, start - 1);
});

Deno.test("using a disposed tensor fails clearly", () => {
  const x = Tensor.from([1, 2]);
  x.dispose();
  assert.throws(() => mul(x, 2), /disposed/);
});
