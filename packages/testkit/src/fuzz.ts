/**
 * Seeded, bounded fuzzing: the same seed gives the same inputs, so a failure names the seed and
 * the round that reproduce it. FUZZ_SEED and FUZZ_ROUNDS override the defaults for longer runs.
 */

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Fuzzer {
  random: () => number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/**
 * Runs `round` `rounds` times with one seeded generator; a round that throws is reported with the
 * seed and round number. Prints how many inputs were tried.
 */
export function fuzz(name: string, rounds: number, seed: number, round: (f: Fuzzer, i: number) => void): number {
  const s = Number(process.env.FUZZ_SEED ?? seed);
  const n = Number(process.env.FUZZ_ROUNDS ?? rounds);
  const random = seededRandom(s);
  const f: Fuzzer = { random, int: (k) => Math.floor(random() * k), pick: (items) => items[Math.floor(random() * items.length)]! };
  for (let i = 0; i < n; i++) {
    try {
      round(f, i);
    } catch (err) {
      throw new Error(`${name}: round ${i} of seed ${s} failed (rerun with FUZZ_SEED=${s}): ${(err as Error).message}`, { cause: err });
    }
  }
  process.stdout.write(`fuzz ${name}: ${n} inputs tried (seed ${s})\n`);
  return n;
}
