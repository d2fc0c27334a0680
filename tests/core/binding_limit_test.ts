import { strict as assert } from "node:assert";
import {
  add,
  BindingLimitError,
  mul,
  overrideLimit,
  RandomGenerator,
  sum,
  Tensor,
} from "../../core/mod.ts";
import { assertClose, randomValues, setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("elementwise ops split tensors larger than one storage binding", async () => {
  const a = randomValues(3000, 1);
  const b = randomValues(3000, 2);
  const c = randomValues(100, 3);
  const ta = Tensor.from(a, [30, 100]);
  const tb = Tensor.from(b, [30, 100]);
  const tc = Tensor.from(c, [100]);
  // pretend bindings hold 1024 floats: 3000-element tensors must be split
  overrideLimit("maxStorageBufferBindingSize", 4096);
  try {
    const sumAB = add(ta, tb);
    const broadcast = mul(ta, tc);
    const scaled = mul(ta, 2);
    overrideLimit("maxStorageBufferBindingSize", undefined);
    assertClose(await sumAB.read(), a.map((v, i) => v + b[i]), { label: "a + b" });
    assertClose(await broadcast.read(), a.map((v, i) => v * c[i % 100]), { label: "a * c" });
    assertClose(await scaled.read(), a.map((v) => v * 2), { label: "a * 2" });
    for (const t of [sumAB, broadcast, scaled]) t.dispose();
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  for (const t of [ta, tb, tc]) t.dispose();
});

Deno.test("random draws split across bindings equal the unsplit draw", async () => {
  const whole = await new RandomGenerator(9).uniform([5000]).read();
  overrideLimit("maxStorageBufferBindingSize", 4096);
  try {
    const split = new RandomGenerator(9).uniform([5000]);
    overrideLimit("maxStorageBufferBindingSize", undefined);
    assert.deepEqual(await split.read(), whole);
    split.dispose();
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
});

Deno.test("ops that cannot split a large tensor fail with a clear error", () => {
  const t = Tensor.from(new Float32Array(3000));
  overrideLimit("maxStorageBufferBindingSize", 4096);
  try {
    assert.throws(() => sum(t), BindingLimitError);
    assert.throws(() => sum(t), /storage binding limit/);
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  t.dispose();
});
