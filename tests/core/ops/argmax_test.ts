import { strict as assert } from "node:assert";
import { argmaxLastAxis, overrideLimit, Tensor } from "../../../core/mod.ts";
import { randomValues, setupGpu } from "../../helpers.ts";

await setupGpu();

Deno.test("argmaxLastAxis matches a host argmax on random logits, odd sizes, ties low", async () => {
  for (const [voxels, classes] of [[1, 1], [37, 3], [1001, 5]]) {
    const values = randomValues(voxels * classes, voxels + classes);
    // make some ties
    if (classes > 1) values[classes + 1] = values[classes];
    const x = Tensor.from(values, [voxels, classes]);
    const got = await argmaxLastAxis(x).read();
    for (let v = 0; v < voxels; v++) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (Math.fround(values[v * classes + c]) > Math.fround(values[v * classes + best])) {
          best = c;
        }
      }
      assert.equal(got[v], best, `voxel ${v}`);
    }
    x.dispose();
  }
});

Deno.test("argmaxLastAxis splits logits larger than one storage binding by voxels", async () => {
  // [7, 9, 11, 3] logits are 2079 floats; 4 KiB bindings hold 1024.
  const shape = [7, 9, 11, 3];
  const values = randomValues(7 * 9 * 11 * 3, 77);
  const x = Tensor.from(values, shape);
  const whole = await argmaxLastAxis(x).read();
  overrideLimit("maxStorageBufferBindingSize", 4096);
  let split: Tensor;
  try {
    split = argmaxLastAxis(x);
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  assert.deepEqual(split.shape, [7, 9, 11]);
  assert.deepEqual(await split.read(), whole);
  split.dispose();
  x.dispose();
});
