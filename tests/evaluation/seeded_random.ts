/** Small deterministic random numbers for the evaluation tests (mulberry32 generator). */

/** Returns a function yielding uniform numbers in [0, 1), the same sequence for each seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random 0/1 mask with about `share` ones. */
export function randomMask(length: number, share: number, random: () => number): Uint8Array {
  return Uint8Array.from({ length }, () => (random() < share ? 1 : 0));
}
