import {
  concat,
  expand,
  flip,
  pad,
  permute,
  reshape,
  slice,
  squeeze,
  type Tensor,
  transpose,
  unsqueeze,
} from "../../../core/mod.ts";
import * as R from "../../reference/ndarray.ts";
import { checkOp, outputsAndGradients } from "../op_check.ts";
import { assertClose, randomValues, setupGpu } from "../../helpers.ts";

await setupGpu();

Deno.test("reshape, squeeze, unsqueeze share storage and pass gradients", async () => {
  await checkOp({
    label: "reshape",
    shapes: [[3, 10]],
    run: ([x]) => reshape(x, [5, -1, 2]),
    reference: ([x]) => ({ shape: [5, 3, 2], data: x.data.slice() }),
  });
  await checkOp({
    label: "unsqueeze+squeeze",
    shapes: [[3, 1, 5]],
    run: ([x]) => unsqueeze(squeeze(x), 0),
    reference: ([x]) => ({ shape: [1, 3, 5], data: x.data.slice() }),
  });
});

Deno.test("permute and transpose vs float64", async () => {
  await checkOp({
    label: "permute",
    shapes: [[2, 3, 5, 7]],
    run: ([x]) => permute(x, [3, 1, 0, 2]),
    reference: ([x]) => R.permute(x, [3, 1, 0, 2]),
  });
  await checkOp({
    label: "transpose",
    shapes: [[4, 3, 5]],
    run: ([x]) => transpose(x),
    reference: ([x]) => R.permute(x, [0, 2, 1]),
  });
});

Deno.test("expand vs float64", async () => {
  await checkOp({
    label: "expand",
    shapes: [[3, 1, 5]],
    run: ([x]) => expand(x, [2, 3, 4, 5]),
    reference: ([x]) => R.map2(x, { shape: [2, 3, 4, 5], data: new Float64Array(120) }, (a) => a),
  });
});

Deno.test("slice with steps and negative bounds vs float64", async () => {
  await checkOp({
    label: "slice",
    shapes: [[7, 9, 5]],
    run: ([x]) => slice(x, [{ start: 1, stop: -1, step: 2 }, undefined, { start: -3 }]),
    reference: ([x]) => R.slice(x, [[1, 6, 2], undefined, [2, 5, 1]]),
  });
});

Deno.test("pad vs float64", async () => {
  await checkOp({
    label: "pad",
    shapes: [[3, 4, 5]],
    run: ([x]) => pad(x, [[1, 0], [0, 2], [3, 1]], 0.5),
    reference: ([x]) => R.pad(x, [[1, 0], [0, 2], [3, 1]], 0.5),
  });
});

Deno.test("concat along each axis vs float64", async () => {
  for (const axis of [0, 1, 2]) {
    const shapes = [[3, 4, 5], [3, 4, 5], [3, 4, 5]];
    shapes[1][axis] = 2;
    shapes[2][axis] = 1;
    await checkOp({
      label: `concat axis ${axis}`,
      shapes,
      run: (xs) => concat(xs, axis),
      reference: (xs) => R.concat(xs, axis),
      seed: axis + 5,
    });
  }
});

Deno.test("flip along chosen axes vs float64 with gradients", async () => {
  for (const axes of [[0], [1, 2], [0, 1, 2, 3], [3]]) {
    await checkOp({
      label: `flip ${axes}`,
      shapes: [[2, 3, 5, 4]],
      run: ([x]) => flip(x, axes),
      reference: ([x]) => R.flip(x, axes),
    });
  }
});

Deno.test("slice, pad and concat of tensors larger than one storage binding match the unsplit ops", async () => {
  // 4 KiB bindings (1024 floats). Rows of [6, 9, 40] hold 360 floats (slabs of rows);
  // rows of [2, 30, 50] hold 1500 (each row is split again, one rank less).
  const cases: Array<{ label: string; shapes: number[][]; run: (t: Tensor[]) => Tensor }> = [
    {
      label: "slice inner axes",
      shapes: [[6, 9, 40]],
      run: ([x]) =>
        slice(x, [{ start: 1 }, { start: 2, stop: 8, step: 2 }, { start: 3, stop: 37 }]),
    },
    {
      label: "slice with a step on axis 0",
      shapes: [[6, 9, 40]],
      run: ([x]) => slice(x, [{ start: 0, step: 2 }, undefined, { stop: 30 }]),
    },
    {
      label: "slice of long rows",
      shapes: [[2, 30, 50]],
      run: ([x]) => slice(x, [undefined, { start: 1, stop: 29 }]),
    },
    { label: "pad", shapes: [[6, 9, 40]], run: ([x]) => pad(x, [[1, 0], [0, 2], [3, 1]], 0.5) },
    {
      label: "concat on the last axis",
      shapes: [[6, 9, 30], [6, 9, 11]],
      run: (xs) => concat(xs, 2),
    },
    { label: "concat on axis 0", shapes: [[2, 30, 50], [1, 30, 50]], run: (xs) => concat(xs, 0) },
  ];
  for (const [i, c] of cases.entries()) {
    const values = c.shapes.map((shape, k) => ({
      data: randomValues(shape.reduce((a, b) => a * b, 1), 80 + 10 * i + k),
      shape,
    }));
    const whole = await outputsAndGradients(c.run, values, undefined);
    const split = await outputsAndGradients(c.run, values, 4096);
    whole.forEach((expected, k) =>
      assertClose(split[k], expected, { rtol: 0, atol: 0, label: `${c.label} output ${k}` })
    );
  }
});
