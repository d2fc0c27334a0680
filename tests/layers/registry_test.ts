import assert from "node:assert/strict";
import { LayerConfigError } from "../../layers/layert.ts";
import { layerKinds, layerT, layerTFromJSON, registerLayerKind } from "../../layers/registry.ts";
import { GroupNorm, InstanceNorm } from "../../layers/normalization.ts";
import type { Conv3d } from "../../layers/conv.ts";
import { Identity } from "../../layers/identity.ts";
import { setupGpu } from "../helpers.ts";

await setupGpu();

Deno.test("a plain JSON config realises a LayerT, placeholders included", () => {
  const config = JSON.parse(`{
    "kind": "GroupNorm",
    "args": {
      "numGroups": { "$placeholder": "channels", "divideBy": 8 },
      "numChannels": { "$placeholder": "channels" },
      "eps": 1e-3
    }
  }`);
  const t = layerTFromJSON(config);
  const norm = t.assemble({ channels: 24 }) as GroupNorm;
  assert.ok(norm instanceof GroupNorm);
  assert.equal(norm.numGroups, 3);
  assert.equal(norm.numChannels, 24);
  assert.equal(norm.eps, 1e-3);
  assert.deepEqual(JSON.parse(JSON.stringify(t)), config);
  assert.throws(() => t.assemble({ channels: 20 }), /20 is not divisible by 8/);
  norm.dispose();
  const conv = layerTFromJSON({
    kind: "Conv3d",
    args: {
      inChannels: { $placeholder: "inChannels" },
      outChannels: { $placeholder: "outChannels" },
      kernelSize: [3, 3, 1],
      padding: [1, 1, 0],
    },
  }).assemble({ inChannels: 2, outChannels: 4 }) as Conv3d;
  assert.deepEqual(conv.weight.shape, [3, 3, 1, 2, 4]);
  conv.dispose();
  const inorm = layerTFromJSON({ kind: "InstanceNorm3d", args: { numFeatures: 4 } }).assemble();
  assert.ok(inorm instanceof InstanceNorm);
  inorm.dispose();
});

Deno.test("unknown kinds and arguments list the valid ones", () => {
  assert.throws(
    () => layerTFromJSON({ kind: "GroupNorn", args: {} }),
    (e: Error) =>
      e instanceof LayerConfigError && /unknown layer kind "GroupNorn"; known: /.test(e.message) &&
      e.message.includes("GroupNorm") && e.message.includes("Conv3d"),
  );
  assert.throws(
    () => layerTFromJSON({ kind: "GroupNorm", args: { groups: 2, channels: 4 } }),
    /GroupNorm has no arguments groups, channels; valid: numGroups, numChannels, eps, affine/,
  );
  assert.throws(
    () => layerTFromJSON({ kind: "ReLU", args: { x: 1 } }),
    /ReLU has no argument x/,
  );
  assert.throws(
    () =>
      layerTFromJSON({
        kind: "LeakyReLU",
        args: { negativeSlope: { $placeholder: "c", times: 2 } },
      }),
    /unknown fields times; valid: \$placeholder, divideBy/,
  );
  assert.throws(() => layerTFromJSON({ kind: "ReLU", extra: 1 } as never), /unknown fields extra/);
  assert.throws(() => layerTFromJSON({ args: {} } as never), /needs \{ "kind": string/);
});

Deno.test("custom kinds can be registered once", () => {
  registerLayerKind("NoNorm", { create: () => new Identity(), args: ["numFeatures"] });
  assert.ok(layerKinds().includes("NoNorm"));
  const t = layerT("NoNorm", { numFeatures: 3 });
  assert.ok(t.assemble() instanceof Identity);
  assert.throws(
    () => registerLayerKind("NoNorm", { create: () => new Identity(), args: [] }),
    /already registered/,
  );
});
