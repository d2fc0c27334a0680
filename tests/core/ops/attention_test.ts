import assert from "node:assert/strict";
import { memoryStats, Tensor } from "../../../core/mod.ts";
import {
  attention,
  attentionQueryBlock,
  AttentionShapeError,
} from "../../../core/ops/attention.ts";
import { attentionRef } from "../../reference/attention.ts";
import { checkOp } from "../op_check.ts";
import { setupGpu } from "../../helpers.ts";

await setupGpu();

Deno.test("attention vs float64 with gradients (odd tokens and head dims)", async () => {
  await checkOp({
    label: "attention self",
    shapes: [[2, 3, 7, 5], [2, 3, 7, 5], [2, 3, 7, 5]],
    run: ([q, k, v]) => attention(q, k, v),
    reference: ([q, k, v]) => attentionRef(q, k, v),
    low: -2,
    high: 2,
  });
  await checkOp({
    label: "attention cross, explicit scale",
    shapes: [[1, 2, 5, 3], [1, 2, 9, 3], [1, 2, 9, 7]],
    run: ([q, k, v]) => attention(q, k, v, { scale: 0.7 }),
    reference: ([q, k, v]) => attentionRef(q, k, v, 0.7),
    low: -2,
    high: 2,
  });
});

Deno.test("attention in query blocks (uneven last block) vs float64 with gradients", async () => {
  await checkOp({
    label: "attention queryBlock 4 of 11 rows",
    shapes: [[1, 2, 11, 3], [1, 2, 6, 3], [1, 2, 6, 5]],
    run: ([q, k, v]) => attention(q, k, v, { queryBlock: 4 }),
    reference: ([q, k, v]) => attentionRef(q, k, v),
    low: -2,
    high: 2,
  });
});

Deno.test("attention's block height follows the score budget", () => {
  // 2·4 heads × 100 keys × 4 bytes = 3200 bytes per query row.
  assert.equal(attentionQueryBlock(8, 1000, 100, 3200 * 37), 37);
  assert.equal(attentionQueryBlock(8, 10, 100, 1 << 30), 10);
  assert.equal(attentionQueryBlock(8, 10, 100, 1), 1);
});

Deno.test("attention rejects mismatched shapes with the shapes in the message", () => {
  const before = memoryStats().liveBuffers;
  const a = Tensor.from(new Float32Array(2 * 3 * 4), [1, 2, 3, 4]);
  const b = Tensor.from(new Float32Array(2 * 3 * 5), [1, 2, 3, 5]);
  assert.throws(
    () => attention(a, b, b),
    (e: Error) => e instanceof AttentionShapeError && e.message.includes("[1,2,3,5]"),
  );
  const flat = Tensor.from([1, 2], [2]);
  assert.throws(() => attention(a, a, flat), AttentionShapeError);
  assert.throws(() => attention(a, a, a, { queryBlock: 0 }), RangeError);
  for (const t of [a, b, flat]) t.dispose();
  assert.equal(memoryStats().liveBuffers, before);
});
