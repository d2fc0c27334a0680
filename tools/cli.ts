/**
 * Command-line plumbing shared by the tools: parsing with `--help`, usage errors (exit
 * code 2) for unknown or missing options, and checked number options.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One option: a string or a boolean flag, with an optional short name and default. */
export interface OptionSpec {
  /** Value kind. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Value when absent. */
  default?: string | boolean;
}

/** Options by long name. */
export type OptionSpecs = Record<string, OptionSpec>;

/** What {@link parseCommandLine} returns for a command line that should run. */
export type ParsedCommandLine<T extends OptionSpecs> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true }>
>;

/** Settings of {@link parseCommandLine}. */
export interface CommandLineRules<T extends OptionSpecs> {
  /** Options that must be given. */
  required?: Array<keyof T & string>;
  /** How many positional arguments the tool takes (default 0). */
  positionals?: number;
}

/**
 * Parses `args` against `options` (a `help` flag, `-h`, is added). Returns the parsed
 * values, or an exit code when the tool should stop: 0 after printing `usage` for
 * `--help`, 2 after printing what is wrong and `usage`.
 */
export function parseCommandLine<T extends OptionSpecs>(
  args: string[],
  options: T,
  usage: string,
  rules: CommandLineRules<T> = {},
): ParsedCommandLine<T> | number {
  let parsed: ParsedCommandLine<T>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    }) as ParsedCommandLine<T>;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const missing = (rules.required ?? []).filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    const names = missing.map((name) => `--${name}`).join(", ");
    console.error(`${names} ${missing.length > 1 ? "are" : "is"} required\n\n${usage}`);
    return 2;
  }
  const expected = rules.positionals ?? 0;
  if (parsed.positionals.length !== expected) {
    console.error(
      `expected ${expected} positional argument(s), got ${parsed.positionals.length}` +
        `\n\n${usage}`,
    );
    return 2;
  }
  return parsed;
}

/** Raised for an option value that does not parse; tools report it with exit code 2. */
export class OptionValueError extends RangeError {
  /** Builds the error; `message` names the option and the value. */
  constructor(message: string) {
    super(message);
    this.name = "OptionValueError";
  }
}

/** `--name`'s value as a positive integer (undefined when absent). */
export function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new OptionValueError(`--${name} needs a positive integer, got "${value}"`);
  }
  return n;
}

/** `--name`'s value as a finite number (undefined when absent). */
export function finiteNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new OptionValueError(`--${name} needs a number, got "${value}"`);
  }
  return n;
}

/** `--name`'s value as `count` comma-separated positive numbers (integers when asked). */
export function numberList(
  name: string,
  value: string | undefined,
  count: number,
  integers = false,
): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map(Number);
  const bad = parts.length !== count ||
    parts.some((p) => !(p > 0) || !Number.isFinite(p) || (integers && !Number.isInteger(p)));
  if (bad) {
    const kind = integers ? "positive integers" : "positive numbers";
    throw new OptionValueError(`--${name} needs ${count} comma-separated ${kind}, got "${value}"`);
  }
  return parts;
}
