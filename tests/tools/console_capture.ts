/** Captures what a tool writes with console.log / console.error while it runs (tests only). */

/** What a captured call returned and printed. */
export interface Captured<T> {
  result: T;
  out: string;
  err: string;
}

function redirect(): { out: () => string; err: () => string; restore: () => void } {
  const { log, error } = console;
  let out = "";
  let err = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  return {
    out: () => out,
    err: () => err,
    restore: () => {
      console.log = log;
      console.error = error;
    },
  };
}

/** Runs `fn` with console output captured. */
export function quietly<T>(fn: () => T): Captured<T> {
  const captured = redirect();
  try {
    return { result: fn(), out: captured.out(), err: captured.err() };
  } finally {
    captured.restore();
  }
}

/** Runs async `fn` with console output captured until it settles. */
export async function quietlyAsync<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const captured = redirect();
  try {
    const result = await fn();
    return { result, out: captured.out(), err: captured.err() };
  } finally {
    captured.restore();
  }
}
