import assert from "node:assert/strict";
import { LayerConfigError, LayerT, placeholder } from "../../layers/layert.ts";
import { GroupNorm } from "../../layers/normalization.ts";
import { Linear } from "../../layers/linear.ts";
import { layerT } from "../../layers/registry.ts";
import { groupNormT } from "../../layers/presets.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("one placeholder fills several arguments, each with its own derivation", () => {
  const norm = layerT("GroupNorm", {
    numGroups: placeholder("inCh", (c: number) => c / 4),
    numChannels: placeholder("inCh"),
  });
  assert.deepEqual(norm.placeholders(), ["inCh"]);
  assert.deepEqual(norm.resolve({ inCh: 16 }), { numGroups: 4, numChannels: 16 });
  const layer = norm.assemble({ inCh: 16 });
  assert.ok(layer instanceof GroupNorm);
  assert.equal(layer.numGroups, 4);
  assert.equal(layer.numChannels, 16);
  layer.dispose();
  const preset = groupNormT(8).assemble({ channels: 32 }) as GroupNorm;
  assert.equal(preset.numGroups, 4);
  preset.dispose();
});

Deno.test("update returns a changed copy and leaves the original untouched", () => {
  const base = layerT("Linear", { inFeatures: placeholder("inChannels"), outFeatures: 3 });
  const changed = base.update({ outFeatures: 5, bias: false });
  assert.notEqual(changed, base);
  assert.equal(base.args.outFeatures, 3);
  assert.equal(base.args.bias, undefined);
  assert.equal(changed.args.outFeatures, 5);
  assert.equal(changed.args.bias, false);
  assert.ok(Object.isFrozen(base.args) && Object.isFrozen(base));
  assert.throws(() => {
    (base.args as Record<string, unknown>).outFeatures = 9;
  }, TypeError);
  const removed = changed.update({ bias: undefined });
  assert.equal("bias" in removed.args, false);
  const a = base.assemble({ inChannels: 2 }) as Linear;
  const b = changed.assemble({ inChannels: 2 }) as Linear;
  assert.equal(a.outFeatures, 3);
  assert.equal(b.outFeatures, 5);
  assert.equal(b.bias, undefined);
  a.dispose();
  b.dispose();
});

Deno.test("missing placeholder values and unknown arguments are named", () => {
  const t = layerT("Linear", { inFeatures: placeholder("inChannels"), outFeatures: 2 });
  assert.throws(
    () => t.assemble({ channels: 4 }),
    (e: Error) =>
      e instanceof LayerConfigError &&
      /placeholder "inChannels" \(argument "inFeatures"\)/.test(e.message) &&
      /given: channels/.test(e.message),
  );
  assert.throws(
    () => t.update({ outChannels: 3 }),
    /Linear has no argument outChannels; valid: inFeatures, outFeatures, bias, generator/,
  );
});

Deno.test("LayerT with a custom factory, and JSON form", () => {
  const custom = new LayerT("Linear", (a) => new Linear(a as never), {
    inFeatures: placeholder("n"),
    outFeatures: placeholder("n"),
  });
  const layer = custom.assemble({ n: 3 }) as Linear;
  assert.equal(layer.inFeatures, 3);
  assert.equal(layer.outFeatures, 3);
  layer.dispose();
  assert.deepEqual(custom.toJSON(), {
    kind: "Linear",
    args: { inFeatures: { $placeholder: "n" }, outFeatures: { $placeholder: "n" } },
  });
  const derived = layerT("GroupNorm", { numGroups: placeholder("c", (c: number) => c / 2) });
  assert.throws(() => derived.toJSON(), /custom derivation/);
});
