import assert from "node:assert/strict";
import { predictFinalScore } from "../../training/score_prediction.ts";
import { predictValidationCurve } from "../../training/validation_curve.ts";
import { seededRandom } from "../helpers.ts";

const seeds = Array.from({ length: 8 }, (_, seed) => seed);

Deno.test("validation curve: a flat start and a steep rise do not pull the asymptote", () => {
  // A training-like curve: zero for 3 epochs, a fast rise, then 1/1 saturation towards 0.88.
  const tail = (epoch: number) => 0.88 - 2 / (epoch + 4);
  for (const seed of seeds) {
    const random = seededRandom(seed);
    const epochs = Array.from({ length: 60 }, (_, epoch) => epoch);
    const scores = epochs.map((epoch) =>
      epoch < 3 ? 0 : epoch < 8 ? (epoch - 2) * 0.1 : tail(epoch + 1) + 0.004 * (random() - 0.5)
    );
    const prediction = predictValidationCurve(epochs, scores, { scoreBounds: [0, 1] });
    assert.ok(prediction, `seed ${seed}: no prediction`);
    assert.ok(
      Math.abs(prediction.finalScore - 0.88) / 0.88 < 0.02,
      `seed ${seed}: ${prediction.finalScore}`,
    );
    assert.ok(prediction.firstFittedEpoch >= 3 && prediction.firstFittedEpoch <= 8);
    // Fitting every epoch, zeros included, misses by far more.
    const all = predictFinalScore(epochs.map((e) => e + 1), scores);
    assert.ok(!all.ok || Math.abs(all.predictedFinalScore - 0.88) > 0.02);
  }
});

Deno.test("validation curve: epochs count from 0 and convergence is reported in them", () => {
  const epochs = Array.from({ length: 40 }, (_, epoch) => epoch);
  const scores = epochs.map((epoch) => 0.9 - 0.5 / (epoch + 3));
  const prediction = predictValidationCurve(epochs, scores, { tolerance: 0.01, onsetFraction: 0 });
  assert.ok(prediction);
  assert.ok(Math.abs(prediction.finalScore - 0.9) < 1e-6);
  // 0.5 / (epoch + 3) ≤ 0.01 from epoch 47 on.
  assert.equal(prediction.convergenceEpoch, 47);
  assert.equal(predictValidationCurve(epochs.slice(0, 4), scores.slice(0, 4)), undefined);
  assert.equal(predictValidationCurve([], []), undefined);
});
