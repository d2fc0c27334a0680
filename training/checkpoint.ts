/**
 * Training checkpoints: one safetensors file holding the model weights, the EMA weights,
 * the optimizer's state tensors, and (as JSON in the file's metadata) everything else
 * needed to continue exactly — epoch, scheduler and RNG states, metric history, config.
 * One file written atomically means a crash never leaves a half-written checkpoint.
 *
 * @module
 */

import type { HostTensor } from "../core/serialize/host_tensor.ts";
import { readSafetensors, writeSafetensors } from "../core/serialize/safetensors.ts";
import type { OptimizerState } from "../core/optim/optimizer.ts";
import type { EMAState } from "../core/optim/ema.ts";

const FORMAT = "mipcandy.checkpoint/1";

/** JSON-safe training state stored beside the tensors. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Everything a checkpoint holds. */
export interface TrainingCheckpoint {
  /** Model weights in PyTorch naming and layout. */
  model: Map<string, HostTensor>;
  /** EMA of the weights, if training keeps one. */
  ema?: EMAState;
  /** Optimizer state. */
  optimizer?: OptimizerState;
  /** Epoch, scheduler, RNG, sampler, history, config… */
  state: { [key: string]: JsonValue };
}

/** Raised when a file is not a mipcandy checkpoint or is incomplete. */
export class CheckpointError extends Error {
  /** Creates the error naming the file. */
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "CheckpointError";
  }
}

/**
 * Writes a checkpoint atomically.
 *
 * @example
 * ```ts ignore
 * await saveCheckpoint("run/checkpoint_latest.safetensors", {
 *   model: await network.stateDict(),
 *   optimizer: await optimizer.stateDict(),
 *   state: { epoch: 12 },
 * });
 * ```
 */
export async function saveCheckpoint(path: string, checkpoint: TrainingCheckpoint): Promise<void> {
  const tensors = new Map<string, HostTensor>();
  for (const [name, t] of checkpoint.model) tensors.set(`model.${name}`, t);
  if (checkpoint.ema) {
    for (const [name, t] of checkpoint.ema.weights) tensors.set(`ema.${name}`, t);
  }
  if (checkpoint.optimizer) {
    for (const [name, t] of checkpoint.optimizer.tensors) tensors.set(`optimizer.${name}`, t);
  }
  const header = {
    state: checkpoint.state,
    ema: checkpoint.ema
      ? { step: checkpoint.ema.step, decay: checkpoint.ema.decay, warmup: checkpoint.ema.warmup }
      : null,
    optimizer: checkpoint.optimizer
      ? {
        kind: checkpoint.optimizer.kind,
        hyper: checkpoint.optimizer.hyper,
        steps: checkpoint.optimizer.steps,
      }
      : null,
  };
  await writeSafetensors(path, tensors, { format: FORMAT, training: JSON.stringify(header) });
}

/** Reads a checkpoint written by {@link saveCheckpoint}. */
export async function loadCheckpoint(path: string): Promise<TrainingCheckpoint> {
  const file = await readSafetensors(path);
  const metadata = file.metadata ?? {};
  if (metadata.format !== FORMAT || typeof metadata.training !== "string") {
    throw new CheckpointError(path, "not a mipcandy training checkpoint (no training metadata)");
  }
  let header: {
    state: { [key: string]: JsonValue };
    ema: { step: number; decay: number; warmup: boolean } | null;
    optimizer: Omit<OptimizerState, "tensors"> | null;
  };
  try {
    header = JSON.parse(metadata.training);
  } catch (error) {
    throw new CheckpointError(path, `training metadata is not JSON: ${(error as Error).message}`);
  }
  const model = new Map<string, HostTensor>();
  const ema = new Map<string, HostTensor>();
  const optimizer = new Map<string, HostTensor>();
  for (const [name, t] of file.tensors) {
    const dot = name.indexOf(".");
    const group = name.slice(0, dot);
    const key = name.slice(dot + 1);
    if (group === "model") model.set(key, t);
    else if (group === "ema") ema.set(key, t);
    else if (group === "optimizer") optimizer.set(key, t);
  }
  return {
    model,
    ema: header.ema ? { ...header.ema, weights: ema } : undefined,
    optimizer: header.optimizer ? { ...header.optimizer, tensors: optimizer } : undefined,
    state: header.state,
  };
}
