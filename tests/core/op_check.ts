/**
 * Checks a GPU op against its float64 reference on random inputs: the forward values, and
 * every input's gradient of L = Σ op(x)·w (random w) against central finite differences
 * of the float64 reference.
 */

import { backward, memoryStats, mul, overrideLimit, scope, sum, Tensor } from "../../core/mod.ts";
import type { Nd } from "../reference/ndarray.ts";
import {
  assertClose,
  assertShape,
  numericGradients,
  randomPair,
  randomValues,
} from "../helpers.ts";

export interface OpCase {
  label: string;
  shapes: number[][];
  run: (inputs: Tensor[]) => Tensor;
  reference: (inputs: Nd[]) => Nd;
  /** Forward tolerance (relative, absolute). */
  rtol?: number;
  atol?: number;
  /** Gradient tolerance; gradients are skipped when `grad` is false. */
  gradRtol?: number;
  gradAtol?: number;
  grad?: boolean;
  /** Range of the random inputs. */
  low?: number;
  high?: number;
  seed?: number;
}

export async function checkOp(c: OpCase): Promise<void> {
  const before = memoryStats().liveBuffers;
  const seed = c.seed ?? 1;
  const pairs = c.shapes.map((s, i) => randomPair(s, seed * 100 + i, c.low ?? -1, c.high ?? 1));
  const inputs = pairs.map((p) => p.gpu);
  const refs = pairs.map((p) => p.ref);
  const wantGrad = c.grad !== false;
  for (const t of inputs) t.requiresGrad = wantGrad;
  const expected = c.reference(refs);
  const { y, loss, w } = scope(() => {
    const y = c.run(inputs);
    const w = Tensor.from(randomValues(y.size, seed + 7), [...y.shape]);
    const loss = wantGrad ? sum(mul(y, w)) : undefined;
    return { y, loss, w };
  });
  assertShape(y.shape, expected.shape);
  assertClose(await y.read(), expected.data, {
    rtol: c.rtol ?? 1e-5,
    atol: c.atol ?? 1e-5,
    label: `${c.label} forward`,
  });
  if (loss) {
    backward(loss);
    const wHost = randomValues(y.size, seed + 7);
    const numeric = numericGradients(refs, (xs) => {
      const out = c.reference(xs);
      let s = 0;
      for (let i = 0; i < out.data.length; i++) s += out.data[i] * wHost[i];
      return s;
    });
    for (let i = 0; i < inputs.length; i++) {
      const grad = inputs[i].grad;
      if (!grad) throw new Error(`${c.label}: input ${i} got no gradient`);
      assertShape(grad.shape, c.shapes[i]);
      assertClose(await grad.read(), numeric[i], {
        rtol: c.gradRtol ?? 1e-3,
        atol: c.gradAtol ?? 1e-3,
        label: `${c.label} grad of input ${i}`,
      });
    }
  }
  for (const t of [y, w, ...inputs]) t.dispose();
  loss?.dispose();
  const after = memoryStats().liveBuffers;
  if (after !== before) throw new Error(`${c.label}: ${after - before} buffers leaked`);
}

/** Output and gradients of `run` on fresh copies of `values`, under an optional limit. */
export async function outputsAndGradients(
  run: (inputs: Tensor[]) => Tensor,
  values: Array<{ data: Float64Array; shape: number[] }>,
  limit: number | undefined,
): Promise<Float32Array[]> {
  const inputs = values.map(({ data, shape }) => Tensor.from(data, shape));
  for (const t of inputs) t.requiresGrad = true;
  overrideLimit("maxStorageBufferBindingSize", limit);
  let y: Tensor;
  try {
    y = run(inputs);
    const r = Tensor.from(randomValues(y.size, 91), [...y.shape]);
    const loss = scope(() => sum(mul(y, r)));
    backward(loss);
    loss.dispose();
    r.dispose();
  } finally {
    overrideLimit("maxStorageBufferBindingSize", undefined);
  }
  const out = [await y.read(), ...await Promise.all(inputs.map((t) => t.grad!.read()))];
  for (const t of [y, ...inputs]) t.dispose();
  return out as Float32Array[];
}
