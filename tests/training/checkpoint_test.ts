import { strict as assert } from "node:assert";
import { CheckpointError, loadCheckpoint, saveCheckpoint } from "../../training/checkpoint.ts";

Deno.test("checkpoints round-trip model, EMA, optimizer state and JSON training state", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/checkpoint_latest.safetensors`;
  const model = new Map([
    ["conv.weight", {
      dtype: "F32" as const,
      shape: [2, 1, 1, 1, 1],
      data: new Float32Array([1, 2]),
    }],
  ]);
  await saveCheckpoint(path, {
    model,
    ema: {
      step: 7,
      decay: 0.99,
      warmup: false,
      weights: new Map([["conv.weight", {
        dtype: "F32",
        shape: [2, 1, 1, 1, 1],
        data: new Float32Array([3, 4]),
      }]]),
    },
    optimizer: {
      kind: "sgd",
      hyper: { lr: 0.01, momentum: 0.99 },
      steps: [7],
      tensors: new Map([["0.momentum_buffer", {
        dtype: "F32",
        shape: [2, 1, 1, 1, 1],
        data: new Float32Array([5, 6]),
      }]]),
    },
    state: { epoch: 3, history: [{ loss: 0.5 }], rng: { seed: 1, offset: 99 } },
  });
  const back = await loadCheckpoint(path);
  assert.deepEqual([...back.model.keys()], ["conv.weight"]);
  assert.deepEqual([...back.model.get("conv.weight")!.data], [1, 2]);
  assert.equal(back.ema?.step, 7);
  assert.deepEqual([...back.ema!.weights.get("conv.weight")!.data], [3, 4]);
  assert.equal(back.optimizer?.kind, "sgd");
  assert.deepEqual(back.optimizer?.steps, [7]);
  assert.deepEqual([...back.optimizer!.tensors.get("0.momentum_buffer")!.data], [5, 6]);
  assert.deepEqual(back.state, {
    epoch: 3,
    history: [{ loss: 0.5 }],
    rng: { seed: 1, offset: 99 },
  });
  const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(leftovers, ["checkpoint_latest.safetensors"]);
});

Deno.test("a plain safetensors file is not taken for a checkpoint", async () => {
  const { writeSafetensors } = await import("../../core/serialize/safetensors.ts");
  const path = `${await Deno.makeTempDir()}/weights.safetensors`;
  await writeSafetensors(path, new Map());
  await assert.rejects(() => loadCheckpoint(path), CheckpointError);
});
