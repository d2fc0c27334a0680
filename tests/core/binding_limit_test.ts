import { strict as assert } from "node:assert";
import {
  add,
  BindingLimitError,
  matmul,
  max,
  mean,
  min,
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

Deno.test("reductions split tensors larger than one storage binding", async () => {
  // 1024-float bindings: [3, 700] splits by rows; a [2, 3, 1500] row is itself too large,
  // so each row is reduced on its own (one rank less).
  const cases: Array<{ shape: number[]; axes?: number[] }> = [
    { shape: [3, 700] },
    { shape: [3, 700], axes: [0] },
    { shape: [3, 700], axes: [1] },
    { shape: [2, 3, 1500], axes: [0, 2] },
    { shape: [2, 3, 1500], axes: [1] },
    { shape: [2, 3, 1500], axes: [0] },
  ];
  for (const [i, c] of cases.entries()) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const data = randomValues(size, 20 + i);
    const t = Tensor.from(data, c.shape);
    const axes = c.axes ?? c.shape.map((_, d) => d);
    const host = hostReduce(data, c.shape, axes);
    overrideLimit("maxStorageBufferBindingSize", 4096);
    let results: Tensor[];
    try {
      results = [sum(t, c.axes), max(t, c.axes), min(t, c.axes), mean(t, c.axes)];
    } finally {
      overrideLimit("maxStorageBufferBindingSize", undefined);
    }
    const label = `[${c.shape}] over [${axes}]`;
    assertClose(await results[0].read(), host.sum, { label: `sum ${label}`, rtol: 1e-4 });
    assertClose(await results[1].read(), host.max, { label: `max ${label}` });
    assertClose(await results[2].read(), host.min, { label: `min ${label}` });
    assertClose(await results[3].read(), host.mean, { label: `mean ${label}`, rtol: 1e-4 });
    for (const r of results) r.dispose();
    t.dispose();
  }
});

/** Sum, max, min and mean over `axes` of a row-major array, in float64. */
function hostReduce(data: ArrayLike<number>, shape: number[], axes: number[]) {
  const keptShape = shape.filter((_, d) => !axes.includes(d));
  const outSize = keptShape.reduce((a, b) => a * b, 1);
  const out = {
    sum: new Float64Array(outSize),
    max: new Float64Array(outSize).fill(-Infinity),
    min: new Float64Array(outSize).fill(Infinity),
    mean: new Float64Array(outSize),
  };
  const count = data.length / outSize;
  const index = new Array(shape.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) o = o * shape[d] + index[d];
    out.sum[o] += data[i];
    out.max[o] = Math.max(out.max[o], data[i]);
    out.min[o] = Math.min(out.min[o], data[i]);
    for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
  }
  out.sum.forEach((v, o) => (out.mean[o] = v / count));
  return out;
}

Deno.test("ops that cannot split a large tensor fail with a clear error", () => {
  const a = Tensor.from(new Float32Array(3000), [30, 100]);
  const b = Tensor.from(new Float32Array(3000), [100, 30]);
  overrideLimit("maxStorageBufferBindingSize", 4096);
  try {
    assert.throws(() => matmul(a, b), BindingLimitError);
    assert.throws(() => matmul(a, b), /storage binding limit/);
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  a.dispose();
  b.dispose();
});
