/**
 * The one error type of the safetensors codec.
 *
 * @module
 */

/**
 * A safetensors file (or a set of tensors about to be written as one) breaks the
 * format. The message names the file and what is wrong with it; `source` and `problem`
 * hold the two parts for programs that want them separately.
 *
 * @example
 * ```ts
 * import { SafetensorsFormatError } from "./safetensors_error.ts";
 * const error = new SafetensorsFormatError("model.safetensors", "header is not valid JSON");
 * error.message; // "model.safetensors: header is not valid JSON"
 * ```
 */
export class SafetensorsFormatError extends Error {
  /** The file path, or a description of the in-memory buffer, that the problem is in. */
  readonly source: string;
  /** What is wrong, without the source. */
  readonly problem: string;

  /** Creates the error; the message is `${source}: ${problem}`. */
  constructor(source: string, problem: string, options?: ErrorOptions) {
    super(`${source}: ${problem}`, options);
    this.name = "SafetensorsFormatError";
    this.source = source;
    this.problem = problem;
  }
}
