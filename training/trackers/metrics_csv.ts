/**
 * metrics.csv: one row per epoch, a fixed set of columns followed by one pseudo-Dice column
 * per class. Written by the local tracker and read back when training resumes.
 *
 * @module
 */

import type { EpochRecord } from "./tracker.ts";

/** Thrown when an existing metrics.csv cannot be continued. */
export class MetricsCsvError extends Error {
  /** Creates the error with a message saying what to do. */
  constructor(message: string) {
    super(message);
    this.name = "MetricsCsvError";
  }
}

type ScalarKey = Exclude<keyof EpochRecord, "pseudoDice">;

/** The fixed columns and the record fields they hold, in file order. */
const SCALAR_COLUMNS: ReadonlyArray<readonly [string, ScalarKey]> = [
  ["epoch", "epoch"],
  ["train_loss", "trainLoss"],
  ["validation_loss", "validationLoss"],
  ["mean_pseudo_dice", "meanPseudoDice"],
  ["ema_pseudo_dice", "emaPseudoDice"],
  ["learning_rate", "learningRate"],
  ["epoch_seconds", "epochSeconds"],
  ["best_score", "bestScore"],
  ["best_epoch", "bestEpoch"],
  ["predicted_final_score", "predictedFinalScore"],
  ["predicted_convergence_epoch", "predictedConvergenceEpoch"],
];

const CLASS_PREFIX = "pseudo_dice_";

/** The header cells for `classNames` (one pseudo-Dice column per class). */
export function metricsCsvHeader(classNames: readonly string[]): string[] {
  return [
    ...SCALAR_COLUMNS.map(([column]) => column),
    // Names are reduced to CSV- and spreadsheet-safe characters.
    ...classNames.map((name) => CLASS_PREFIX + name.replace(/[^A-Za-z0-9_]+/g, "_")),
  ];
}

/** Class names for `count` classes when the experiment names none: "class_1", "class_2"… */
export function defaultClassNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `class_${index + 1}`);
}

function cell(value: number | undefined): string {
  return value === undefined ? "" : String(value);
}

/** One CSV line (without the newline) for `record` under a header with `classCount` classes. */
export function formatMetricsRow(record: EpochRecord, classCount: number): string {
  const dice = record.pseudoDice;
  if (dice !== undefined && dice.length !== classCount) {
    throw new MetricsCsvError(
      `Epoch ${record.epoch} has pseudo-Dice for ${dice.length} classes but metrics.csv has ` +
        `${classCount} class columns; use a new experiment folder for a different class count`,
    );
  }
  return [
    ...SCALAR_COLUMNS.map(([, key]) => cell(record[key])),
    ...Array.from({ length: classCount }, (_, index) => cell(dice?.[index])),
  ].join(",");
}

/** The parsed file: its header and its records in file order. */
export interface ParsedMetricsCsv {
  /** Header cells. */
  header: string[];
  /** One record per row. */
  records: EpochRecord[];
}

/**
 * Parses a metrics.csv written by {@link formatMetricsRow}. A last line cut short (no
 * trailing newline) is dropped: it can only come from a write that never completed.
 */
export function parseMetricsCsv(text: string): ParsedMetricsCsv {
  // Whether or not the text ends with a newline, the last piece is not a complete line.
  const complete = text.split("\n").slice(0, -1);
  if (complete.length === 0) return { header: [], records: [] };
  const header = complete[0].split(",");
  const expected = SCALAR_COLUMNS.map(([column]) => column);
  const fixedMatches = expected.every((column, index) => header[index] === column);
  const classColumns = header.slice(expected.length);
  if (!fixedMatches || !classColumns.every((column) => column.startsWith(CLASS_PREFIX))) {
    throw new MetricsCsvError(
      `metrics.csv has an unknown header "${complete[0]}"; move it away or use a new folder`,
    );
  }
  const records = complete.slice(1).filter((line) => line.length > 0).map((line, row) => {
    const cells = line.split(",");
    if (cells.length !== header.length) {
      throw new MetricsCsvError(
        `metrics.csv row ${row + 2} has ${cells.length} cells, the header ${header.length}`,
      );
    }
    const numbers = cells.map((value) => value === "" ? undefined : Number(value));
    const record: Record<string, number | number[] | undefined> = {};
    SCALAR_COLUMNS.forEach(([, key], index) => {
      if (numbers[index] !== undefined) record[key] = numbers[index];
    });
    const dice = numbers.slice(expected.length);
    if (dice.length > 0 && dice.every((value) => value !== undefined)) {
      record.pseudoDice = dice as number[];
    }
    return record as unknown as EpochRecord;
  });
  return { header, records };
}

/** Class names recovered from a header written by {@link metricsCsvHeader}. */
export function classNamesFromHeader(header: readonly string[]): string[] {
  return header.slice(SCALAR_COLUMNS.length).map((column) => column.slice(CLASS_PREFIX.length));
}
