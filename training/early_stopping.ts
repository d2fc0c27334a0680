/**
 * Early stopping with a tolerance: training stops once the monitored score (higher is
 * better) has gone `patience` epochs without beating its reference by more than `minDelta`.
 * Gains smaller than `minDelta` do not reset the count, so a curve creeping up by noise-sized
 * steps still stops.
 *
 * @module
 */

/** The part of {@link EarlyStopping} a checkpoint keeps. */
export interface EarlyStoppingState {
  /** The score the next epoch has to beat by more than `minDelta`. */
  referenceScore: number;
  /** Epoch (from 0) of the last epoch that did; −1 before any. */
  referenceEpoch: number;
}

/** Counts epochs without a real improvement and says when to stop. */
export class EarlyStopping {
  /** Epochs without an improvement greater than `minDelta` before stopping. */
  readonly patience: number;
  /** Smallest gain that counts as an improvement. */
  readonly minDelta: number;
  #referenceScore = -Infinity;
  #referenceEpoch = -1;

  /** Creates a counter; `patience` is a positive integer, `minDelta` ≥ 0. */
  constructor(patience: number, minDelta = 0) {
    if (!Number.isInteger(patience) || patience < 1) {
      throw new RangeError(`early-stopping patience must be a positive integer, got ${patience}`);
    }
    if (!(minDelta >= 0)) {
      throw new RangeError(`early-stopping min delta must be ≥ 0, got ${minDelta}`);
    }
    this.patience = patience;
    this.minDelta = minDelta;
  }

  /**
   * Records epoch `epoch`'s score (NaN counts as no improvement) and returns true when
   * training should stop after it.
   */
  update(epoch: number, score: number): boolean {
    if (score > this.#referenceScore + this.minDelta) {
      this.#referenceScore = score;
      this.#referenceEpoch = epoch;
    }
    return epoch - this.#referenceEpoch >= this.patience;
  }

  /** The state to save with a checkpoint. */
  state(): EarlyStoppingState {
    return { referenceScore: this.#referenceScore, referenceEpoch: this.#referenceEpoch };
  }

  /** Restores a saved state (a JSON null score, from −Infinity, is accepted). */
  setState(state: { referenceScore: number | null; referenceEpoch: number }): void {
    this.#referenceScore = state.referenceScore ?? -Infinity;
    this.#referenceEpoch = state.referenceEpoch;
  }
}
