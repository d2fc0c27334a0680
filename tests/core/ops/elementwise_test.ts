import { strict as assert } from "node:assert";
import {
  abs,
  add,
  cast,
  clamp,
  div,
  eq,
  exp,
  gt,
  log,
  lt,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  sqrt,
  sub,
  tanh,
  Tensor,
  where,
} from "../../../core/mod.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { assertClose, setupGpu } from "../../helpers.ts";

await setupGpu();

const binaryShapes: Array<[number[], number[]]> = [
  [[7], [7]],
  [[3, 5], [5]],
  [[2, 1, 3], [4, 1]],
  [[1], [2, 3, 5]],
  [[5, 3, 2, 3], [5, 1, 2, 1]],
];

const binaries = {
  add: [add, (a: number, b: number) => a + b],
  sub: [sub, (a: number, b: number) => a - b],
  mul: [mul, (a: number, b: number) => a * b],
  div: [div, (a: number, b: number) => a / b],
  maximum: [maximum, Math.max],
  minimum: [minimum, Math.min],
} as const;

for (const [name, [op, f]] of Object.entries(binaries)) {
  Deno.test(`${name}: broadcasting forward and gradients vs float64`, async () => {
    for (const [i, [sa, sb]] of binaryShapes.entries()) {
      await checkOp({
        label: `${name} [${sa}]·[${sb}]`,
        shapes: [sa, sb],
        run: ([a, b]) => op(a, b),
        reference: ([a, b]) => R.map2(a, b, f),
        // keep divisors away from 0
        low: name === "div" ? 0.5 : -1,
        high: name === "div" ? 2 : 1,
        seed: i + 3,
      });
    }
  });
}

Deno.test("binary ops with a number operand", async () => {
  await checkOp({
    label: "x*2.5-1",
    shapes: [[3, 7]],
    run: ([x]) => sub(mul(x, 2.5), 1),
    reference: ([x]) => R.map1(x, (v) => v * 2.5 - 1),
  });
  await checkOp({
    label: "3/x",
    shapes: [[11]],
    run: ([x]) => div(3, x),
    reference: ([x]) => R.map1(x, (v) => 3 / v),
    low: 0.5,
    high: 2,
  });
});

Deno.test("pow: tensor exponent and integer powers of negative bases", async () => {
  await checkOp({
    label: "pow positive base",
    shapes: [[4, 3], [3]],
    run: ([a, b]) => pow(a, b),
    reference: ([a, b]) => R.map2(a, b, Math.pow),
    low: 0.5,
    high: 2,
  });
  await checkOp({
    label: "x^3",
    shapes: [[9]],
    run: ([x]) => pow(x, 3),
    reference: ([x]) => R.map1(x, (v) => v ** 3),
  });
  await checkOp({
    label: "x^2",
    shapes: [[9]],
    run: ([x]) => pow(x, 2),
    reference: ([x]) => R.map1(x, (v) => v ** 2),
  });
});

const unaries: Array<[string, (t: Tensor) => Tensor, (v: number) => number, number, number]> = [
  ["neg", neg, (v) => -v, -1, 1],
  ["exp", exp, Math.exp, -2, 2],
  ["log", log, Math.log, 0.2, 3],
  ["sqrt", sqrt, Math.sqrt, 0.2, 3],
  ["abs", abs, Math.abs, -1, 1],
  ["sigmoid", sigmoid, (v) => 1 / (1 + Math.exp(-v)), -4, 4],
  ["tanh", tanh, Math.tanh, -3, 3],
  ["relu", relu, (v) => Math.max(v, 0), -1, 1],
  ["clamp", (t) => clamp(t, -0.5, 0.25), (v) => Math.min(Math.max(v, -0.5), 0.25), -1, 1],
];

for (const [name, op, f, low, high] of unaries) {
  Deno.test(`${name}: forward and gradient vs float64 (odd sizes)`, async () => {
    for (const shape of [[1], [13], [3, 5, 7]]) {
      await checkOp({
        label: `${name} [${shape}]`,
        shapes: [shape],
        run: ([x]) => op(x),
        reference: ([x]) => R.map1(x, f),
        low,
        high,
        rtol: 2e-6,
        atol: 2e-6,
      });
    }
  });
}

Deno.test("comparisons and where", async () => {
  await checkOp({
    label: "where(x > y, x, y*2)",
    shapes: [[4, 5], [5]],
    run: ([x, y]) => where(gt(x, y), x, mul(y, 2)),
    reference: ([x, y]) => R.map2(x, y, (a, b) => (a > b ? a : 2 * b)),
  });
  const a = Tensor.from([1, 2, 3, 4]);
  assertClose(await eq(a, 3).read(), [0, 0, 1, 0]);
  assertClose(await lt(a, 2.5).read(), [1, 1, 0, 0]);
  const labels = Tensor.from([0, 2, 1, 2], [4], "i32");
  const asFloat = cast(eq(labels, 2), "f32");
  assertClose(await asFloat.read(), [0, 1, 0, 1]);
  assertClose(await cast(Tensor.from([1.7, -1.7, 3]), "i32").read(), [1, -1, 3]);
});

Deno.test("contiguous launches of ≥ 1024 elements take the 4-wide path and stay exact", async () => {
  for (
    const [name, op, f] of [["add", add, (a: number, b: number) => a + b], [
      "div",
      div,
      (a: number, b: number) => a / b,
    ]] as const
  ) {
    await checkOp({
      label: `${name} 4-wide`,
      shapes: [[4, 1031 * 4], [4, 1031 * 4]],
      run: ([a, b]) => op(a, b),
      reference: ([a, b]) => R.map2(a, b, f),
      low: 0.5,
      high: 2,
      grad: false,
    });
    await checkOp({
      label: `${name} 4-wide with a broadcast scalar tensor`,
      shapes: [[2048], [1]],
      run: ([a, b]) => op(a, b),
      reference: ([a, b]) => R.map2(a, b, f),
      low: 0.5,
      high: 2,
    });
  }
  await checkOp({
    label: "x*3 4-wide",
    shapes: [[4100]],
    run: ([x]) => mul(sub(x, 1), 3),
    reference: ([x]) => R.map1(x, (v) => (v - 1) * 3),
    grad: false,
  });
});

Deno.test("full, copies and negation of ≥ 1024 elements (4-wide path)", async () => {
  const { full, copyOf } = await import("../../../core/mod.ts");
  const t = full([3, 1368], 2.5);
  const values = await t.read();
  assert.ok(values.every((v) => v === 2.5));
  const c = copyOf(neg(t));
  assert.ok((await c.read()).every((v) => v === -2.5));
  t.dispose();
  c.dispose();
});
