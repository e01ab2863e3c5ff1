/**
 * Kubernetes resource quantities ("100m", "128Mi", "1k", "1024M", "2e3") as numbers of base units.
 * The scheduler only compares and sums them, so a float is enough; callers that need exact bytes
 * (pod memory requests) round.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Parses a quantity; throws with the offending text on garbage. Numbers pass through. */
export function parseQuantity(q: string | number | undefined | null): number {
  if (q === undefined || q === null || q === '') return 0;
  if (typeof q === 'number') return q;
  const m = RE.exec(String(q).trim());
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(q)}`);
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? ''];
}

/** Like parseQuantity, but 0 for an unparsable value (node status written by others). */
export function quantityOrZero(q: unknown): number {
  try {
    return parseQuantity(q as string);
  } catch {
    return 0;
  }
}

/** Bytes as a quantity string: a whole number of bytes, as KubeVirt renders memory with overhead. */
export const bytesQuantity = (n: number): string => String(Math.ceil(n));
