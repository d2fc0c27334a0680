import assert from "node:assert/strict";
import {
  CosineLR,
  LinearLR,
  type LRScheduler,
  LRSchedulerConfigError,
  PolyLR,
  StepDecayLR,
} from "../../../core/optim/mod.ts";

/** Asserts `schedule.lr(step)` equals `formula(step)` to within rounding, for many steps. */
function assertFollows(schedule: LRScheduler, formula: (step: number) => number, steps: number) {
  for (let step = 0; step <= steps; step++) {
    const want = formula(step);
    const got = schedule.lr(step);
    assert.ok(
      Math.abs(got - want) <= 1e-15 * Math.max(1, Math.abs(want)),
      `step ${step}: ${got} vs ${want}`,
    );
  }
}

Deno.test("poly follows baseLR·(1 − step/total)^exponent and stays 0 past the end", () => {
  const schedule = new PolyLR({ baseLR: 0.01, totalSteps: 250 });
  assert.equal(schedule.config.exponent, 0.9);
  assertFollows(schedule, (s) => s >= 250 ? 0 : 0.01 * (1 - s / 250) ** 0.9, 400);
  assert.equal(schedule.lr(0), 0.01);
  assert.equal(schedule.lr(250), 0);
  assert.equal(schedule.lr(10_000), 0);
  const cubic = new PolyLR({ baseLR: 2, totalSteps: 7, exponent: 3 });
  assertFollows(cubic, (s) => s >= 7 ? 0 : 2 * (1 - s / 7) ** 3, 20);
});

Deno.test("cosine warms up linearly, anneals to minLR, then holds", () => {
  const schedule = new CosineLR({
    baseLR: 1e-3,
    totalSteps: 120,
    warmupSteps: 20,
    warmupStartLR: 1e-5,
    minLR: 1e-6,
  });
  assertFollows(schedule, (s) => {
    if (s < 20) return 1e-5 + (1e-3 - 1e-5) * s / 20;
    if (s >= 120) return 1e-6;
    return 1e-6 + 0.5 * (1e-3 - 1e-6) * (1 + Math.cos(Math.PI * (s - 20) / 100));
  }, 200);
  assert.equal(schedule.lr(20), 1e-3); // peak exactly at the end of the warm-up
  assert.equal(schedule.lr(500), 1e-6);
  const plain = new CosineLR({ baseLR: 1, totalSteps: 10 });
  assertFollows(plain, (s) => s >= 10 ? 0 : 0.5 * (1 + Math.cos(Math.PI * s / 10)), 15);
  // A warm-up as long as the schedule goes straight to minLR at the end.
  const allWarmup = new CosineLR({ baseLR: 1, totalSteps: 4, warmupSteps: 4, minLR: 0.1 });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((s) => allWarmup.lr(s)), [0, 0.25, 0.5, 0.75, 0.1, 0.1]);
});

Deno.test("linear warms up, decays in a straight line to finalLR, then holds", () => {
  const schedule = new LinearLR({ baseLR: 0.1, totalSteps: 50, warmupSteps: 10, finalLR: 0.01 });
  assertFollows(schedule, (s) => {
    if (s < 10) return 0.1 * s / 10;
    if (s >= 50) return 0.01;
    return 0.1 + (0.01 - 0.1) * (s - 10) / 40;
  }, 80);
  const decayOnly = new LinearLR({ baseLR: 0.1, totalSteps: 10 });
  assertFollows(decayOnly, (s) => s >= 10 ? 0 : 0.1 * (1 - s / 10), 20);
  const warmupOnly = new LinearLR({ baseLR: 0.1, totalSteps: 5, warmupSteps: 5, finalLR: 0.1 });
  assertFollows(warmupOnly, (s) => s >= 5 ? 0.1 : 0.1 * s / 5, 10);
});

Deno.test("step decay multiplies by gamma every stepSize steps, down to its floor", () => {
  const schedule = new StepDecayLR({ baseLR: 0.1, stepSize: 30, gamma: 0.5 });
  assertFollows(schedule, (s) => 0.1 * 0.5 ** Math.floor(s / 30), 300);
  assert.equal(schedule.lr(29), 0.1);
  assert.equal(schedule.lr(30), 0.05);
  const floored = new StepDecayLR({ baseLR: 1, stepSize: 1, minLR: 1e-3 });
  assertFollows(floored, (s) => Math.max(1e-3, 0.1 ** s), 10);
  assert.equal(floored.lr(1_000), 1e-3);
});

Deno.test("step() advances by one and returns the new rate; lr(step) has no side effects", () => {
  const schedule = new PolyLR({ baseLR: 1, totalSteps: 10 });
  assert.equal(schedule.currentStep, 0);
  assert.equal(schedule.lr(), 1);
  schedule.lr(7);
  assert.equal(schedule.currentStep, 0);
  for (let step = 1; step <= 12; step++) {
    assert.equal(schedule.step(), schedule.lr(step));
    assert.equal(schedule.currentStep, step);
    assert.equal(schedule.lr(), schedule.lr(step));
  }
  assert.equal(schedule.lr(), 0); // clamped past the end
});

const factories: [string, () => LRScheduler][] = [
  ["poly", () => new PolyLR({ baseLR: 0.01, totalSteps: 100, exponent: 0.8 })],
  ["cosine", () => new CosineLR({ baseLR: 1e-3, totalSteps: 100, warmupSteps: 7, minLR: 1e-5 })],
  ["linear", () => new LinearLR({ baseLR: 0.2, totalSteps: 100, warmupSteps: 3, finalLR: 0.02 })],
  ["step_decay", () => new StepDecayLR({ baseLR: 0.1, stepSize: 9, gamma: 0.7, minLR: 1e-4 })],
];

for (const [kind, create] of factories) {
  Deno.test(`${kind}: a state dict saved mid-run resumes identically`, () => {
    const uninterrupted = create();
    const expected = Array.from({ length: 130 }, () => uninterrupted.step());

    const first = create();
    const before = Array.from({ length: 41 }, () => first.step());
    const saved = JSON.parse(JSON.stringify(first.stateDict()));
    assert.equal(saved.kind, kind);
    assert.equal(saved.step, 41);

    const resumed = create();
    resumed.loadStateDict(saved);
    assert.equal(resumed.currentStep, 41);
    const after = Array.from({ length: 130 - 41 }, () => resumed.step());
    assert.deepEqual([...before, ...after], expected);
  });
}

Deno.test("loading a state restores its settings, as PyTorch's load_state_dict does", () => {
  const saved = new PolyLR({ baseLR: 0.5, totalSteps: 40, exponent: 2 });
  saved.step();
  saved.step();
  const other = new PolyLR({ baseLR: 0.01, totalSteps: 1000 });
  other.loadStateDict(saved.stateDict());
  assert.deepEqual(other.config, { baseLR: 0.5, totalSteps: 40, exponent: 2 });
  assert.equal(other.lr(), saved.lr());
});

Deno.test("bad states are refused and leave the schedule unchanged", () => {
  const schedule = new CosineLR({ baseLR: 1, totalSteps: 10 });
  schedule.step();
  const poly = new PolyLR({ baseLR: 1, totalSteps: 10 }).stateDict();
  assert.throws(
    () => schedule.loadStateDict(poly),
    /cannot load a "poly" scheduler state into a "cosine"/,
  );
  const good = schedule.stateDict();
  assert.throws(() => schedule.loadStateDict({ ...good, step: -1 }), LRSchedulerConfigError);
  assert.throws(() => schedule.loadStateDict({ ...good, step: 2.5 }), LRSchedulerConfigError);
  assert.throws(
    () => schedule.loadStateDict({ kind: "cosine", step: 3, config: { baseLR: 1, totalSteps: 0 } }),
    /cosine: totalSteps must be > 0, got 0/,
  );
  assert.equal(schedule.currentStep, 1);
  assert.deepEqual(schedule.stateDict(), good);
});

Deno.test("invalid settings and steps are reported by name", () => {
  const rejects = (build: () => unknown, pattern: RegExp) =>
    assert.throws(
      build,
      (error: unknown) => error instanceof LRSchedulerConfigError && pattern.test(error.message),
    );
  rejects(() => new PolyLR({ baseLR: -1, totalSteps: 10 }), /poly: baseLR must be >= 0, got -1/);
  rejects(() => new PolyLR({ baseLR: 1, totalSteps: 2.5 }), /poly: totalSteps must be an integer/);
  rejects(() => new PolyLR({ baseLR: NaN, totalSteps: 5 }), /baseLR must be a finite number/);
  rejects(() => new PolyLR({ baseLR: 1, totalSteps: 5, exponent: 0 }), /exponent must be > 0/);
  rejects(
    () => new CosineLR({ baseLR: 1, totalSteps: 5, warmupSteps: 6 }),
    /warmupSteps \(6\) must not exceed totalSteps \(5\)/,
  );
  rejects(
    () => new LinearLR({ baseLR: 1, totalSteps: 5, finalLR: -0.1 }),
    /linear: finalLR must be >= 0/,
  );
  rejects(() => new StepDecayLR({ baseLR: 1, stepSize: 0 }), /step_decay: stepSize must be > 0/);
  rejects(() => new StepDecayLR({ baseLR: 1, stepSize: 3, gamma: -2 }), /gamma must be > 0/);
  rejects(
    () => new PolyLR({ baseLR: 1, totalSteps: 5 }).lr(-1),
    /poly: step must be an integer >= 0, got -1/,
  );
  rejects(() => new PolyLR({ baseLR: 1, totalSteps: 5 }).lr(1.5), /step must be an integer/);
  rejects(
    () => new PolyLR({} as { baseLR: number; totalSteps: number }),
    /baseLR must be a finite number, got undefined/,
  );
});
