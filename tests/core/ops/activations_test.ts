import { throws } from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import {
  ActivationArgumentError,
  elu,
  erf,
  gelu,
  leakyRelu,
  prelu,
} from "../../../core/ops/activations.ts";
import * as N from "../../reference/normalization.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { assertClose, setupGpu } from "../../helpers.ts";

await setupGpu();

const SHAPE = [2, 3, 5, 7];

Deno.test("leakyRelu, elu and both gelu forms vs float64 with gradients", async () => {
  const cases: Array<[string, (x: Tensor) => Tensor, (v: number) => number]> = [
    ["leakyRelu 0.01", (x) => leakyRelu(x), (v) => N.leakyRelu(v)],
    ["leakyRelu -0.3", (x) => leakyRelu(x, -0.3), (v) => N.leakyRelu(v, -0.3)],
    ["elu 1", (x) => elu(x), (v) => N.elu(v)],
    ["elu 0.5", (x) => elu(x, 0.5), (v) => N.elu(v, 0.5)],
    ["gelu exact", (x) => gelu(x), (v) => N.gelu(v)],
    ["gelu tanh", (x) => gelu(x, { approximate: "tanh" }), (v) => N.gelu(v, "tanh")],
  ];
  for (const [i, [label, run, f]] of cases.entries()) {
    await checkOp({
      label,
      shapes: [SHAPE],
      run: ([x]) => run(x),
      reference: ([x]) => R.map1(x, f),
      low: -4,
      high: 4,
      seed: i + 1,
    });
  }
});

Deno.test("erf is accurate to 1e-6 over [-6, 6] and gelu to 1e-6 in its tails", async () => {
  const grid = Float32Array.from({ length: 2401 }, (_, i) => -6 + i * 0.005);
  const x = Tensor.from(grid);
  const e = erf(x);
  assertClose(await e.read(), Array.from(grid, (v) => N.erf(v)), {
    rtol: 0,
    atol: 1e-6,
    label: "erf",
  });
  const g = gelu(x);
  assertClose(await g.read(), Array.from(grid, (v) => N.gelu(v)), {
    rtol: 1e-5,
    atol: 1e-6,
    label: "gelu exact",
  });
  for (const t of [x, e, g]) t.dispose();
  await checkOp({
    label: "erf gradient",
    shapes: [[3, 7]],
    run: ([v]) => erf(v),
    reference: ([v]) => R.map1(v, N.erf),
    low: -2.5,
    high: 2.5,
  });
});

Deno.test("prelu with per-channel and single slopes: gradients for input and weight", async () => {
  for (const wShape of [[5], [1]]) {
    await checkOp({
      label: `prelu weight [${wShape}]`,
      shapes: [[...SHAPE, 5], wShape],
      run: ([x, w]) => prelu(x, w),
      reference: ([x, w]) => N.prelu(x, w),
      gradRtol: 1e-3,
      gradAtol: 2e-3,
      seed: wShape[0] + 3,
    });
  }
});

Deno.test("activation arguments are checked", () => {
  const before = memoryStats().liveBuffers;
  const x = Tensor.from([1, -1, 2, -2, 3, -3], [2, 3]);
  const w = Tensor.from([0.1, 0.2], [2]);
  throws(() => prelu(x, w), ActivationArgumentError);
  throws(() => gelu(x, { approximate: "erf" as "none" }), /approximate/);
  x.dispose();
  w.dispose();
  const leaked = memoryStats().liveBuffers - before;
  if (leaked !== 0) throw new Error(`${leaked} buffers leaked`);
});
