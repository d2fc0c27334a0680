import { matmul } from "../../../core/mod.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { setupGpu } from "../../helpers.ts";

await setupGpu();

const shapes: Array<[number[], number[]]> = [
  [[1, 1], [1, 1]],
  [[5, 3], [3, 7]],
  [[9, 13], [13, 66]], // partial tiles in both directions
  [[17, 8], [8, 12]], // vec4 path
  [[2, 3, 5, 4], [4, 6]], // broadcast batch
  [[3, 1, 6, 5], [2, 5, 3]],
];

Deno.test("matmul: batched and broadcast, odd sizes, vs float64 with gradients", async () => {
  for (const [i, [a, b]] of shapes.entries()) {
    await checkOp({
      label: `matmul [${a}]·[${b}]`,
      shapes: [a, b],
      run: ([x, y]) => matmul(x, y),
      reference: ([x, y]) => R.matmul(x, y),
      seed: i + 21,
      rtol: 1e-5,
      atol: 1e-5,
    });
  }
});

Deno.test("matmul: transposed operands read without copies", async () => {
  await checkOp({
    label: "A·Bᵀ",
    shapes: [[6, 5], [7, 5]],
    run: ([x, y]) => matmul(x, y, { transposeB: true }),
    reference: ([x, y]) => R.matmul(x, R.permute(y, [1, 0])),
  });
  await checkOp({
    label: "Aᵀ·B",
    shapes: [[5, 6], [5, 7]],
    run: ([x, y]) => matmul(x, y, { transposeA: true }),
    reference: ([x, y]) => R.matmul(R.permute(x, [1, 0]), y),
  });
  await checkOp({
    label: "Aᵀ·Bᵀ batched",
    shapes: [[2, 5, 3], [2, 4, 5]],
    run: ([x, y]) => matmul(x, y, { transposeA: true, transposeB: true }),
    reference: ([x, y]) => R.matmul(R.permute(x, [0, 2, 1]), R.permute(y, [0, 2, 1])),
  });
});

Deno.test("matmul: larger square product within f32 accumulation error", async () => {
  await checkOp({
    label: "matmul 67x131x45",
    shapes: [[67, 131], [131, 45]],
    run: ([x, y]) => matmul(x, y),
    reference: ([x, y]) => R.matmul(x, y),
    rtol: 1e-4,
    atol: 1e-4,
    grad: false,
  });
});
