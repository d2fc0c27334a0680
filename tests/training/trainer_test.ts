import { strict as assert } from "node:assert";
import { cast, gt, RandomGenerator, relu, type Tensor, Tensor as T } from "../../core/mod.ts";
import { diceBceLoss, diceCrossEntropyLoss } from "../../core/ops/losses/compound.ts";
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

Deno.test("early stopping ends training when the EMA pseudo-Dice stops gaining by min delta", async () => {
  const dir = await Deno.makeTempDir();
  // No gain can exceed 2 (Dice ≤ 1), so only epoch 0 counts as an improvement.
  const result = await new VoxelTrainer(
    { ...config(dir), earlyStoppingPatience: 2, earlyStoppingMinDelta: 2 },
    data(),
  ).train();
  assert.equal(result.stoppedBy, "early-stopping");
  assert.equal(result.history.length, 3);
  await Deno.stat(`${dir}/checkpoint_final.safetensors`);
});

/** Exposes the default loss and deep-supervision weights. */
class ExposedTrainer extends VoxelTrainer {
  loss() {
    return this.buildLoss();
  }
  weights(outputs: number) {
    return this.buildDeepSupervisionWeights(outputs);
  }
}

Deno.test("default loss: Dice + CE for softmax outputs, Dice + BCE for one sigmoid channel", async () => {
  const trainer = new ExposedTrainer(config(await Deno.makeTempDir()), data());
  const loss = trainer.loss();
  const random = seededRandom(3);
  const labelValues = Int32Array.from({ length: 30 }, () => (random() < 0.4 ? 1 : 0));
  const labels = T.from(labelValues, [1, 2, 3, 5], "i32");
  const one = T.from(Float32Array.from({ length: 30 }, () => random() * 4 - 2), [1, 2, 3, 5, 1]);
  const two = T.from(Float32Array.from({ length: 60 }, () => random() * 4 - 2), [1, 2, 3, 5, 2]);
  const targets = T.from(Float32Array.from(labelValues), [1, 2, 3, 5, 1]);
  const close = async (a: Tensor, b: Tensor) =>
    assert.ok(Math.abs((await a.item()) - (await b.item())) < 1e-6);
  await close(loss(one, labels), diceBceLoss(one, targets));
  await close(loss(two, labels), diceCrossEntropyLoss(two, labels));
  assert.deepEqual(trainer.weights(3), [4 / 6, 2 / 6, 0]);
});

class BinaryTrainer extends Trainer {
  protected override buildNetwork(): Module {
    return new VoxelNet(1);
  }
}

/** The synthetic task reduced to class 0 versus the rest, for a one-channel sigmoid net. */
class BinarySource extends SyntheticSource {
  override next(): TrainingBatch {
    const batch = super.next();
    return { image: batch.image, label: cast(gt(batch.label, 0), "i32") };
  }
}

Deno.test("a one-channel sigmoid network trains with Dice + BCE and is scored by pseudo-Dice", async () => {
  const result = await new BinaryTrainer(
    { ...config(await Deno.makeTempDir()), classes: 2, epochs: 3 },
    { train: new BinarySource(1), validation: new BinarySource(2) },
  ).train();
  assert.ok(result.history[2].trainLoss < result.history[0].trainLoss, "the loss falls");
  assert.ok(result.history[2].pseudoDice[0] > 0.8, `Dice ${result.history[2].pseudoDice}`);
});
