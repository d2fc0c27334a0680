/**
 * Errors raised by layers for bad arguments or inputs.
 *
 * @module
 */

/** A layer got an argument or input it cannot use; the message names both. */
export class LayerArgumentError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LayerArgumentError";
  }
}
