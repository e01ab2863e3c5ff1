/** The summary kube-burner writes per latency name; all values in milliseconds. */
export interface QuantileSummary {
  count: number;
  P50: number;
  P95: number;
  P99: number;
  max: number;
  avg: number;
}

/**
 * Nearest-rank quantiles, as kube-burner computes them (sort, take the value at ceil(q·n)-1), so
 * our figures compare with theirs. Undefined for no samples: "no VMI reached Running" must not
 * read as "P99 0 ms".
 */
export function summarize(samples: readonly number[]): QuantileSummary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    P50: Math.round(at(0.5)),
    P95: Math.round(at(0.95)),
    P99: Math.round(at(0.99)),
    max: Math.round(sorted[sorted.length - 1]),
    avg: Math.round((sum / sorted.length) * 100) / 100,
  };
}

/** Points of the empirical CDF, thinned to at most `points` so a 100k-sample plot stays small. */
export function cdf(samples: readonly number[], points = 200): Array<[number, number]> {
  if (samples.length === 0) return [];
  const sorted = Float64Array.from(samples).sort();
  const step = Math.max(1, Math.floor(sorted.length / points));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < sorted.length; i += step) out.push([Math.round(sorted[i]), (i + 1) / sorted.length]);
  const last = sorted.length - 1;
  if (out[out.length - 1][1] !== 1) out.push([Math.round(sorted[last]), 1]);
  return out;
}
