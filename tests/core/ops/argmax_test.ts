import { strict as assert } from "node:assert";
import { argmaxLastAxis, Tensor } from "../../../core/mod.ts";
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
