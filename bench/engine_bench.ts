/**
 * Engine benchmarks: matmul GFLOP/s, elementwise GB/s, per-dispatch cost of a queue of
 * tiny ops, and a 3-layer MLP training step.
 */

import {
  add,
  assign,
  matmul,
  mean,
  mul,
  noGrad,
  randNormal,
  relu,
  scope,
  sub,
  type Tensor,
  zeroGrad,
} from "../core/mod.ts";
import type { BenchCase } from "./harness.ts";

function matmulCase(size: number): BenchCase {
  return {
    name: "matmul",
    params: { m: size, n: size, k: size },
    flops: 2 * size ** 3,
    runs: size >= 2048 ? 3 : 5,
    repeat: size <= 512 ? 8 : size <= 1024 ? 2 : 1,
    peer: { kind: "matmul", m: size, n: size, k: size },
    setup: () => {
      const a = randNormal([size, size]).keep();
      const b = randNormal([size, size]).keep();
      return Promise.resolve({
        run: () => matmul(a, b).dispose(),
        dispose: () => [a, b].forEach((t) => t.dispose()),
      });
    },
  };
}

const ELEMENTWISE_N = 16 * 2 ** 20; // 64 MiB of f32

const elementwiseCase: BenchCase = {
  name: "elementwise.add",
  params: { n: ELEMENTWISE_N, mib: 64 },
  bytes: 3 * 4 * ELEMENTWISE_N,
  peer: { kind: "add", n: ELEMENTWISE_N },
  setup: () => {
    const a = randNormal([ELEMENTWISE_N]).keep();
    const b = randNormal([ELEMENTWISE_N]).keep();
    return Promise.resolve({
      run: () => add(a, b).dispose(),
      dispose: () => [a, b].forEach((t) => t.dispose()),
    });
  },
};

const DISPATCHES = 1000;

const dispatchCase: BenchCase = {
  name: "dispatch.queued",
  params: { ops: DISPATCHES, elements: 64 },
  setup: () => {
    const x = randNormal([64]).keep();
    return Promise.resolve({
      run: () => {
        let y = add(x, 1);
        for (let i = 1; i < DISPATCHES; i++) {
          const next = add(y, 1);
          y.dispose();
          y = next;
        }
        y.dispose();
      },
      dispose: () => x.dispose(),
    });
  },
};

const MLP = [512, 1024, 1024, 16];
const MLP_BATCH = 256;

const mlpCase: BenchCase = {
  name: "mlp.train_step",
  params: { batch: MLP_BATCH, sizes: MLP.join("-") },
  flops: 3 * 2 * MLP_BATCH * MLP.slice(1).reduce((acc, n, i) => acc + n * MLP[i], 0),
  peer: { kind: "mlp_step", batch: MLP_BATCH, sizes: MLP },
  setup: () => {
    const weights = MLP.slice(1).map((n, i) =>
      randNormal([MLP[i], n], 0, Math.sqrt(2 / MLP[i])).keep()
    );
    const biases = MLP.slice(1).map((n) => randNormal([n], 0, 0.01).keep());
    const params = [...weights, ...biases];
    for (const p of params) p.requiresGrad = true;
    const x = randNormal([MLP_BATCH, MLP[0]]).keep();
    const y = randNormal([MLP_BATCH, MLP[MLP.length - 1]]).keep();
    return Promise.resolve({
      run: () => {
        const loss = scope(() => {
          let h: Tensor = x;
          weights.forEach((w, i) => {
            h = add(matmul(h, w), biases[i]);
            if (i < weights.length - 1) h = relu(h);
          });
          const d = sub(h, y);
          return mean(mul(d, d));
        });
        loss.backward();
        loss.dispose();
        noGrad(() => scope(() => params.forEach((p) => assign(p, sub(p, mul(p.grad!, 0.01))))));
        zeroGrad(params);
      },
      dispose: () => [...params, x, y].forEach((t) => t.dispose()),
    });
  },
};

/** The engine benchmark group. */
export const engineBenchmarks: BenchCase[] = [
  matmulCase(512),
  matmulCase(1024),
  matmulCase(2048),
  elementwiseCase,
  dispatchCase,
  mlpCase,
];
