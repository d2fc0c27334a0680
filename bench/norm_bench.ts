/**
 * Normalisation benchmarks: the conv block's instance norm + LeakyReLU on a channels-last
 * 2×64³×32 volume, forward and forward + backward, against PyTorch's InstanceNorm3d +
 * LeakyReLU on the same data.
 */

import { backward, ones, randNormal, scope, type Tensor, zeros } from "../core/mod.ts";
import { instanceNormActivation } from "../core/ops/normalization.ts";
import type { BenchCase } from "./harness.ts";

const PARAMS = { n: 2, c: 32, size: 64 };

function normActCase(withBackward: boolean): BenchCase {
  const { n, c, size } = PARAMS;
  const elements = n * c * size ** 3;
  return {
    name: withBackward ? "norm_act.fwdbwd" : "norm_act.fwd",
    params: PARAMS,
    // Forward reads x twice and writes y; backward reads x and the gradient twice, writes gx.
    bytes: 4 * elements * (withBackward ? 8 : 3),
    peer: { kind: "norm_act", n, c, size, backward: withBackward },
    setup: () => {
      const x = randNormal([n, size, size, size, c]).keep();
      const weight = ones([c]).keep();
      const bias = zeros([c]).keep();
      for (const t of [x, weight, bias]) t.requiresGrad = withBackward;
      const inputs: Tensor[] = [x, weight, bias];
      return Promise.resolve({
        run: () => {
          const y = scope(() => instanceNormActivation(x, weight, bias, { negativeSlope: 0.01 }));
          if (withBackward) {
            // d sum(y)/dy = ones: the default seed, made by one write-only kernel.
            backward(y);
            for (const t of inputs) {
              t.grad?.dispose();
              t.grad = undefined;
            }
          }
          y.dispose();
        },
        dispose: () => inputs.forEach((t) => t.dispose()),
      });
    },
  };
}

/** The normalisation benchmark group. */
export const normBenchmarks: BenchCase[] = [normActCase(false), normActCase(true)];
