/**
 * A terminal progress bar: count, percentage, rate and time left, plus a caller's suffix such
 * as the current loss. On a terminal it redraws one line in place; elsewhere (CI logs, files)
 * it prints a plain line now and then instead, so logs stay short.
 *
 * @module
 */

/** Settings of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Text in front of the bar, e.g. "epoch 3". */
  label?: string;
  /** Name of one item in the rate, e.g. "it" gives "3.20 it/s"; default "it". */
  unit?: string;
  /** Characters of the bar itself; default 24. */
  barWidth?: number;
  /**
   * Redraw in place with carriage returns (true) or print separate lines (false). Default:
   * whether standard output is a terminal.
   */
  interactive?: boolean;
  /** Terminal width lines are cut to in interactive mode; default the console's width. */
  columns?: number;
  /** Quiet mode prints at least this often, seconds; default 30. */
  quietIntervalSeconds?: number;
  /** Quiet mode also prints whenever progress crosses a multiple of this percentage; default 10. */
  quietPercentStep?: number;
  /** Interactive mode redraws at most this often, seconds; default 0.1. */
  redrawIntervalSeconds?: number;
  /** Where text goes; default standard output. */
  write?: (text: string) => void;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  now?: () => number;
}

/** Seconds as "mm:ss", or "h:mm:ss" from an hour up; "?" when unknown. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
  const rest = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${minutes}:${rest}` : `${minutes}:${rest}`;
}

/** A rate as "3.20 it/s", or "2.50 s/it" when slower than one item a second. */
export function formatRate(itemsPerSecond: number, unit = "it"): string {
  if (!(itemsPerSecond > 0) || !Number.isFinite(itemsPerSecond)) return `? ${unit}/s`;
  return itemsPerSecond >= 1
    ? `${itemsPerSecond.toFixed(2)} ${unit}/s`
    : `${(1 / itemsPerSecond).toFixed(2)} s/${unit}`;
}

const PARTIAL_BLOCKS = " ▏▎▍▌▋▊▉";

function defaultWrite(): (text: string) => void {
  const encoder = new TextEncoder();
  return (text) => {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  };
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/**
 * Progress over `total` items.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress_bar.ts";
 * const bar = new ProgressBar(250, { label: "epoch 1", interactive: false });
 * for (let batch = 0; batch < 250; batch++) bar.tick(1, `loss ${(1 / (batch + 1)).toFixed(3)}`);
 * bar.finish();
 * ```
 */
export class ProgressBar {
  /** Number of items the bar counts up to. */
  readonly total: number;
  readonly #label: string;
  readonly #unit: string;
  readonly #barWidth: number;
  readonly #interactive: boolean;
  readonly #columns: number;
  readonly #quietIntervalMs: number;
  readonly #quietPercentStep: number;
  readonly #redrawIntervalMs: number;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #startedAt: number;
  #completed = 0;
  #suffix = "";
  #lastOutputAt = -Infinity;
  #lastPrintedPercent = 0;
  /** Count and suffix of the last quiet line, so finishing does not repeat it. */
  #lastPrinted = "";
  #finished = false;

  /** Starts the clock for `total` items (≥ 0). */
  constructor(total: number, options: ProgressBarOptions = {}) {
    if (!(total >= 0) || !Number.isFinite(total)) {
      throw new RangeError(`A progress bar needs a finite total ≥ 0, got ${total}`);
    }
    this.total = total;
    this.#label = options.label ?? "";
    this.#unit = options.unit ?? "it";
    this.#barWidth = options.barWidth ?? 24;
    this.#interactive = options.interactive ?? Deno.stdout.isTerminal();
    this.#columns = options.columns ?? (this.#interactive ? consoleColumns() : Infinity);
    this.#quietIntervalMs = (options.quietIntervalSeconds ?? 30) * 1000;
    this.#quietPercentStep = options.quietPercentStep ?? 10;
    this.#redrawIntervalMs = (options.redrawIntervalSeconds ?? 0.1) * 1000;
    this.#write = options.write ?? defaultWrite();
    this.#now = options.now ?? (() => performance.now());
    this.#startedAt = this.#now();
    // Interactive mode draws on the first update; quiet mode's interval counts from the start.
    this.#lastOutputAt = this.#interactive ? -Infinity : this.#startedAt;
  }

  /** Items done so far. */
  get completed(): number {
    return this.#completed;
  }

  /** Adds `count` done items; `suffix` replaces the text after the bar when given. */
  tick(count = 1, suffix?: string): void {
    this.update(this.#completed + count, suffix);
  }

  /** Sets the number of done items (clamped to the total). */
  update(completed: number, suffix?: string): void {
    if (this.#finished) return;
    this.#completed = Math.min(this.total, Math.max(0, completed));
    if (suffix !== undefined) this.#suffix = suffix;
    this.#maybeOutput(false);
  }

  /** Ends the bar: draws the final state and moves to a new line. */
  finish(suffix?: string): void {
    if (this.#finished) return;
    if (suffix !== undefined) this.#suffix = suffix;
    this.#maybeOutput(true);
    this.#finished = true;
  }

  /** The current line without the bar (as quiet mode prints it). */
  statusText(): string {
    const elapsed = (this.#now() - this.#startedAt) / 1000;
    const rate = elapsed > 0 ? this.#completed / elapsed : NaN;
    const left = this.total - this.#completed;
    const eta = left === 0 ? 0 : rate > 0 ? left / rate : NaN;
    const percent = this.#percent();
    return [
      this.#label,
      `${percent.toFixed(0).padStart(3)}%`,
      this.#interactive ? `|${this.#bar()}|` : "",
      `${this.#completed}/${this.total}`,
      `[${formatClock(elapsed)}<${formatClock(eta)}, ${formatRate(rate, this.#unit)}]`,
      this.#suffix,
    ].filter((part) => part.length > 0).join(" ");
  }

  #percent(): number {
    return this.total === 0 ? 100 : (100 * this.#completed) / this.total;
  }

  #bar(): string {
    const filled = (this.#percent() / 100) * this.#barWidth;
    const whole = Math.floor(filled);
    const partial = whole < this.#barWidth
      ? PARTIAL_BLOCKS[Math.floor((filled - whole) * PARTIAL_BLOCKS.length)]
      : "";
    return "█".repeat(whole) + partial + " ".repeat(this.#barWidth - whole - partial.length);
  }

  #maybeOutput(final: boolean): void {
    const now = this.#now();
    if (this.#interactive) {
      if (!final && now - this.#lastOutputAt < this.#redrawIntervalMs) return;
      // Cut to the terminal width: a wrapped line cannot be redrawn with \r.
      const line = Array.from(this.statusText()).slice(0, this.#columns - 1).join("");
      this.#write(`\r${line}\x1b[K${final ? "\n" : ""}`);
      this.#lastOutputAt = now;
      return;
    }
    const percent = this.#percent();
    const step = this.#quietPercentStep;
    const crossedStep = step > 0 &&
      Math.floor(percent / step) > Math.floor(this.#lastPrintedPercent / step);
    const due = now - this.#lastOutputAt >= this.#quietIntervalMs;
    const printed = `${this.#completed}|${this.#suffix}`;
    if (final ? printed === this.#lastPrinted : !(crossedStep || due)) return;
    this.#write(this.statusText() + "\n");
    this.#lastOutputAt = now;
    this.#lastPrintedPercent = percent;
    this.#lastPrinted = printed;
  }
}
