import { strict as assert } from "node:assert";
import { RandomGenerator, relu, type Tensor, Tensor as T } from "../../core/mod.ts";
import { Linear } from "../../layers/linear.ts";
import { Module } from "../../layers/module.ts";
import type { BatchSource, TrainingBatch } from "../../training/batch_source.ts";
import type { JsonValue } from "../../training/checkpoint.ts";
import { type EpochLog, Trainer } from "../../training/trainer.ts";
import { seededRandom, setupGpu } from "../helpers.ts";

await setupGpu();

/** A per-voxel two-layer network (Linear on the channel axis of channels-last input). */
class VoxelNet extends Module {
  readonly first: Linear;
  readonly second: Linear;
  constructor(classes: number) {
    super();
    const generator = new RandomGenerator(11);
    this.first = this.registerModule(
      "first",
      new Linear({ inFeatures: 2, outFeatures: 8, generator }),
    );
    this.second = this.registerModule(
      "second",
      new Linear({ inFeatures: 8, outFeatures: classes, generator }),
    );
  }
  forward(x: Tensor): Tensor {
    return this.second.forward(relu(this.first.forward(x)));
  }
}

/** Synthetic two-channel volumes whose class follows the first channel's intensity. */
class SyntheticSource implements BatchSource {
  #draws = 0;
  constructor(readonly seed: number) {}
  next(): TrainingBatch {
    const random = seededRandom(this.seed * 1000 + this.#draws++);
    const voxels = 2 * 3 * 4 * 5;
    const image = new Float32Array(voxels * 2);
    const label = new Int32Array(voxels);
    for (let v = 0; v < voxels; v++) {
      const cls = Math.floor(random() * 3);
      label[v] = cls;
      image[2 * v] = cls + 0.3 * (random() - 0.5);
      image[2 * v + 1] = random();
    }
    return {
      image: T.from(image, [2, 3, 4, 5, 2]),
      label: T.from(label, [2, 3, 4, 5], "i32"),
    };
  }
  state(): JsonValue {
    return this.#draws;
  }
  setState(state: JsonValue): void {
    this.#draws = state as number;
  }
}

class VoxelTrainer extends Trainer {
  protected override buildNetwork(): Module {
    return new VoxelNet(3);
  }
}

function config(outputDir: string) {
  return {
    outputDir,
    classes: 3,
    epochs: 4,
    iterationsPerEpoch: 6,
    validationIterations: 2,
    learningRate: 0.05,
    momentum: 0.9,
    emaDecay: 0.9,
  };
}

function data() {
  return { train: new SyntheticSource(1), validation: new SyntheticSource(2) };
}

Deno.test("training N epochs straight equals N/2, a crash, resume and N/2 more (bit for bit)", async () => {
  const straight = await new VoxelTrainer(config(await Deno.makeTempDir()), data()).train();
  assert.equal(straight.history.length, 4);
  assert.ok(straight.history[3].trainLoss < straight.history[0].trainLoss, "the loss falls");

  const dir = await Deno.makeTempDir();
  const first = new VoxelTrainer(config(dir), data());
  first.onEpochEnd = (log: EpochLog) => {
    if (log.epoch === 1) throw new Error("simulated crash");
  };
  await assert.rejects(() => first.train(), /simulated crash/);
  const resumed = await new VoxelTrainer({ ...config(dir), continueTraining: true }, data())
    .train();
  assert.equal(resumed.history.length, 4);
  // Every kernel is deterministic (no atomics), so the curves agree exactly.
  for (let e = 0; e < 4; e++) {
    assert.equal(resumed.history[e].trainLoss, straight.history[e].trainLoss, `train loss ${e}`);
    assert.equal(resumed.history[e].validationLoss, straight.history[e].validationLoss);
    assert.deepEqual(resumed.history[e].pseudoDice, straight.history[e].pseudoDice);
  }
  for (const kind of ["latest", "best", "final"]) {
    await Deno.stat(`${dir}/checkpoint_${kind}.safetensors`);
  }
});
