import { strict as assert } from "node:assert";
import { add, memoryStats, mul, scope, Tensor } from "../../core/mod.ts";
import { assertClose, setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("scope disposes everything except results and kept tensors", async () => {
  const start = memoryStats().liveBuffers;
  let kept: Tensor | undefined;
  const { a, list } = scope(() => {
    const x = Tensor.from([1, 2, 3]);
    const y = mul(x, 2);
    kept = add(y, 1).keep();
    mul(y, y); // dropped
    return { a: add(x, y), list: [y] };
  });
  assert.equal(memoryStats().liveBuffers, start + 3);
  assertClose(await a.read(), [3, 6, 9]);
  assertClose(await list[0].read(), [2, 4, 6]);
  assertClose(await kept!.read(), [3, 5, 7]);
  for (const t of [a, list[0], kept!]) t.dispose();
  assert.equal(memoryStats().liveBuffers, start);
});

Deno.test("nested scopes hand results to the parent", () => {
  const start = memoryStats().liveBuffers;
  const outer = scope(() => {
    const inner = scope(() => mul(Tensor.from([1]), 3));
    return add(inner, 1);
  });
  assert.equal(memoryStats().liveBuffers, start + 1);
  outer.dispose();
  assert.equal(memoryStats().liveBuffers, start);
});

Deno.test("a throwing scope still releases its tensors", () => {
  const start = memoryStats().liveBuffers;
  assert.throws(() =>
    scope(() => {
      Tensor.from([1, 2]);
      throw new Error("boom");
    })
  );
  assert.equal(memoryStats().liveBuffers, start);
});

Deno.test("async scopes close when the promise settles", async () => {
  const start = memoryStats().liveBuffers;
  const value = await scope(async () => {
    const t = mul(Tensor.from([2, 3]), 2);
    return (await t.read())[1];
  });
  assert.equal(value, 6);
  assert.equal(memoryStats().liveBuffers, start);
});
