import assert from "node:assert/strict";
import { surfaceVoxels } from "../../evaluation/surface_voxels.ts";

Deno.test("surface of a filled cube: all but the centre, which has no background neighbour", () => {
  const surface = surfaceVoxels(new Uint8Array(27).fill(1), [3, 3, 3]);
  assert.equal(surface.reduce((sum, value) => sum + value, 0), 26);
  assert.equal(surface[13], 0);
});

Deno.test("surface uses face neighbours only: a diagonal-only background gap does not count", () => {
  // 5×5×5 block with one background voxel at (2,2,2)'s diagonal neighbour (3,3,3).
  const dims: [number, number, number] = [5, 5, 5];
  const mask = new Uint8Array(125).fill(1);
  const at = (i: number, j: number, k: number) => (k * 5 + j) * 5 + i;
  mask[at(3, 3, 3)] = 0;
  const surface = surfaceVoxels(mask, dims);
  assert.equal(surface[at(2, 2, 2)], 0, "only a corner touches the hole");
  assert.equal(surface[at(2, 3, 3)], 1, "a face touches the hole");
  assert.equal(surface[at(3, 3, 3)], 0, "background is never surface");
  assert.equal(surface[at(0, 2, 2)], 1, "the grid border counts as background");
});

Deno.test("surface of an interior block and of single voxels", () => {
  const dims: [number, number, number] = [6, 6, 6];
  const at = (i: number, j: number, k: number) => (k * 6 + j) * 6 + i;
  const mask = new Uint8Array(216);
  for (let k = 1; k <= 4; k++) {
    for (let j = 1; j <= 4; j++) for (let i = 1; i <= 4; i++) mask[at(i, j, k)] = 1;
  }
  const surface = surfaceVoxels(mask, dims);
  // 4³ block: 64 voxels minus the 2³ core.
  assert.equal(surface.reduce((sum, value) => sum + value, 0), 56);
  assert.equal(surface[at(2, 2, 2)], 0);
  assert.deepEqual([...surfaceVoxels([0, 1, 0], [3, 1, 1])], [0, 1, 0]);
  assert.throws(() => surfaceVoxels(new Uint8Array(5), [2, 2, 2]), RangeError);
});
