/**
 * Reverse-mode automatic differentiation: ops record a {@link GradNode} on their output when
 * gradients are enabled and an input requires them; `backward` walks the graph once in
 * reverse topological order, accumulates leaf gradients into `.grad`, and frees the
 * tensors the graph saved.
 *
 * @module
 */

import { GradNode, type Tensor } from "./tensor.ts";
import { scope } from "./scope.ts";

let gradDepthDisabled = 0;

/** True when ops record the graph (outside {@link noGrad}). */
export function isGradEnabled(): boolean {
  return gradDepthDisabled === 0;
}

/**
 * Runs `fn` without recording gradients (inference, optimizer updates).
 *
 * @example
 * ```ts
 * import { noGrad } from "./autograd.ts";
 * const y = noGrad(() => 2 * 21);
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  gradDepthDisabled++;
  try {
    return fn();
  } finally {
    gradDepthDisabled--;
  }
}

/**
 * Attaches a backward rule to an op's output when any input requires gradients.
 * `saved` lists tensors whose storage the rule reads later; they stay alive until the
 * graph is consumed or dropped.
 */
export function recordOp(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => ReadonlyArray<Tensor | undefined>,
  saved: readonly Tensor[] = [],
): Tensor {
  if (gradDepthDisabled > 0 || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = new GradNode(op, inputs, backward, saved);
  return out;
}

/** Raised when backward runs through a graph whose saved tensors were already freed. */
export class GraphConsumedError extends Error {
  /** Creates the error. */
  constructor(op: string) {
    super(
      `backward through '${op}' a second time: the graph was freed by the first backward. ` +
        "Pass { retainGraph: true } to the first call to keep it.",
    );
    this.name = "GraphConsumedError";
  }
}

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Gradient of the root (defaults to ones; required shape = root shape). */
  grad?: Tensor;
  /** Keep saved tensors so backward can run again through the same graph. */
  retainGraph?: boolean;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

/** The few ops backward itself needs, injected to keep this module free of op imports. */
export interface BackwardOps {
  /** a + b (same shape). */
  add(a: Tensor, b: Tensor): Tensor;
  /** A tensor of ones shaped like `like`. */
  onesLike(like: Tensor): Tensor;
  /** A copy of `t` in new storage. */
  copy(t: Tensor): Tensor;
}

/**
 * Accumulates d(root)/d(leaf) into every leaf's `.grad`. Each intermediate gradient is
 * owned by exactly one map entry and released as soon as it has been used.
 */
export function runBackward(root: Tensor, ops: BackwardOps, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error("backward() on a tensor that does not require grad (no graph was recorded)");
  }
  if (options.grad && options.grad.shape.join() !== root.shape.join()) {
    throw new RangeError(`backward grad shape [${options.grad.shape}] != [${root.shape}]`);
  }
  const order = topologicalOrder(root);
  noGrad(() =>
    scope(() => {
      const grads = new Map<Tensor, Tensor>();
      const owned = new Set<Tensor>();
      const consumed: Tensor[] = [];
      const give = (input: Tensor, grad: Tensor) => {
        const g = owned.has(grad) || grad === options.grad ? ops.copy(grad) : grad;
        const existing = grads.get(input);
        if (existing) {
          const sum = ops.add(existing, g);
          owned.delete(existing);
          existing.dispose();
          consumed.push(g);
          grads.set(input, sum);
          owned.add(sum);
        } else {
          grads.set(input, g);
          owned.add(g);
        }
      };
      // A caller's seed is borrowed, not copied: it is read by the root's backward and never
      // disposed or stored here (a leaf root gets a copy).
      const seed = options.grad;
      if (seed) {
        grads.set(root, seed);
      } else {
        give(root, ops.onesLike(root));
      }
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i];
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        owned.delete(g);
        const node = t.node;
        if (!node) {
          if (g === seed) {
            const previous = t.grad;
            t.grad = (previous ? ops.add(previous, g) : ops.copy(g)).keep();
            previous?.dispose();
            continue;
          }
          const previous = t.grad;
          t.grad = (previous ? ops.add(previous, g) : g).keep();
          if (previous) {
            previous.dispose();
            g.dispose();
          }
          continue;
        }
        if (node.freed) throw new GraphConsumedError(node.op);
        const inputGrads = node.backward(g);
        node.inputs.forEach((input, k) => {
          const ig = inputGrads[k];
          if (!ig || !input.requiresGrad) return;
          if (ig.shape.join() !== input.shape.join()) {
            throw new Error(
              `internal: '${node.op}' produced grad [${ig.shape}] for input [${input.shape}]`,
            );
          }
          give(input, ig);
        });
        for (const c of [g, ...consumed.splice(0)]) if (!owned.has(c) && c !== seed) c.dispose();
        if (!options.retainGraph) node.freeSaved();
      }
    })
  );
}
