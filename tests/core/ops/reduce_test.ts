import { max, mean, min, sum } from "../../../core/mod.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { setupGpu } from "../../helpers.ts";

await setupGpu();

const cases: Array<[number[], number[] | undefined, boolean]> = [
  [[7], undefined, false],
  [[3, 5], [1], false],
  [[3, 5], [0], true],
  [[2, 3, 5, 3], [1, 2], true],
  [[2, 3, 5, 3], [0, 2], false],
  [[4, 1, 6], [2], false],
  [[3, 301], [1], false], // long reductions use a workgroup per output
];

for (const op of ["sum", "mean", "max", "min"] as const) {
  const gpuOp = { sum, mean, max, min }[op];
  Deno.test(`${op}: axes, keepDims, odd sizes vs float64 with gradients`, async () => {
    for (const [i, [shape, axes, keep]] of cases.entries()) {
      await checkOp({
        label: `${op} [${shape}] axes ${axes} keep ${keep}`,
        shapes: [shape],
        run: ([x]) => gpuOp(x, axes, keep),
        reference: ([x]) => R.reduce(x, axes ?? shape.map((_, d) => d), keep, op),
        seed: i + 11,
        rtol: 1e-5,
        atol: 1e-5,
      });
    }
  });
}

Deno.test("sum of a long vector uses two passes and stays accurate", async () => {
  await checkOp({
    label: "sum 200003",
    shapes: [[200003]],
    run: ([x]) => sum(x),
    reference: ([x]) => R.reduce(x, [0], false, "sum"),
    rtol: 1e-4,
    atol: 1e-3,
    grad: false,
  });
  await checkOp({
    label: "max [2, 90001] axis 1",
    shapes: [[2, 90001]],
    run: ([x]) => max(x, 1),
    reference: ([x]) => R.reduce(x, [1], false, "max"),
    grad: false,
  });
});
