import { logSoftmax, softmax } from "../../../core/mod.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp } from "../op_check.ts";
import { setupGpu } from "../../helpers.ts";

await setupGpu();

Deno.test("softmax and logSoftmax along each axis vs float64 with gradients", async () => {
  for (const axis of [0, 1, -1]) {
    await checkOp({
      label: `softmax axis ${axis}`,
      shapes: [[3, 5, 7]],
      run: ([x]) => softmax(x, axis),
      reference: ([x]) => R.softmax(x, axis),
      low: -4,
      high: 4,
    });
    await checkOp({
      label: `logSoftmax axis ${axis}`,
      shapes: [[3, 5, 7]],
      run: ([x]) => logSoftmax(x, axis),
      reference: ([x]) => R.softmax(x, axis, true),
      low: -4,
      high: 4,
    });
  }
});

Deno.test("softmax is stable for large logits", async () => {
  await checkOp({
    label: "softmax large",
    shapes: [[4, 9]],
    run: ([x]) => softmax(x),
    reference: ([x]) => R.softmax(x, -1),
    low: 500,
    high: 900,
    grad: false,
  });
});
