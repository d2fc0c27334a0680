import { strict as assert } from "node:assert";
import { EarlyStopping } from "../../training/early_stopping.ts";

Deno.test("early stopping: gains below min delta do not reset the patience", () => {
  const stopping = new EarlyStopping(3, 0.01);
  // Epoch 0 sets the reference; then the score creeps up by 0.002 per epoch.
  const scores = [0.5, 0.502, 0.504, 0.506, 0.508];
  const decisions = scores.map((score, epoch) => stopping.update(epoch, score));
  assert.deepEqual(decisions, [false, false, false, true, true]);
  assert.deepEqual(stopping.state(), { referenceScore: 0.5, referenceEpoch: 0 });
});

Deno.test("early stopping: a real gain resets the count; NaN never counts as one", () => {
  const stopping = new EarlyStopping(2, 0.01);
  assert.equal(stopping.update(0, 0.5), false);
  assert.equal(stopping.update(1, NaN), false);
  assert.equal(stopping.update(2, 0.52), false, "0.52 beats 0.5 by more than 0.01");
  assert.equal(stopping.update(3, 0.525), false);
  assert.equal(stopping.update(4, 0.529), true, "two epochs since epoch 2");
});

Deno.test("early stopping: state survives a JSON round trip, −Infinity included", () => {
  const fresh = new EarlyStopping(2);
  const copy = new EarlyStopping(2);
  copy.setState(JSON.parse(JSON.stringify(fresh.state())));
  assert.deepEqual(copy.state(), { referenceScore: -Infinity, referenceEpoch: -1 });
  const a = new EarlyStopping(2, 0.1);
  a.update(0, 0.3);
  a.update(1, 0.35);
  const b = new EarlyStopping(2, 0.1);
  b.setState(JSON.parse(JSON.stringify(a.state())));
  assert.equal(a.update(2, 0.36), b.update(2, 0.36));
  assert.equal(b.update(2, 0.36), true);
});

Deno.test("early stopping: bad settings are refused", () => {
  assert.throws(() => new EarlyStopping(0), /positive integer/);
  assert.throws(() => new EarlyStopping(2.5), /positive integer/);
  assert.throws(() => new EarlyStopping(2, -1), /≥ 0/);
});
