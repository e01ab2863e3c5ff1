/**
 * The load test's own API calls, as the client saw them: count, errors and latency per verb and
 * resource. Sampled into the report's time series (rates) and summarized at the end.
 */
export interface ApiCallStats {
  count: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

export class ApiStats {
  readonly calls = new Map<string, ApiCallStats>();
  readonly errorsByCode = new Map<string, number>();

  async measure<T>(verb: string, resource: string, call: () => Promise<T>): Promise<T> {
    const key = `${verb} ${resource}`;
    let s = this.calls.get(key);
    if (!s) this.calls.set(key, (s = { count: 0, errors: 0, totalMs: 0, maxMs: 0 }));
    const t0 = performance.now();
    try {
      return await call();
    } catch (err) {
      s.errors++;
      const code = String((err as { status?: number; code?: string }).status ?? (err as { code?: string }).code ?? 'error');
      this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
      throw err;
    } finally {
      const ms = performance.now() - t0;
      s.count++;
      s.totalMs += ms;
      if (ms > s.maxMs) s.maxMs = ms;
    }
  }

  /** A copy, for computing rates between two samples. */
  snapshot(): Map<string, ApiCallStats> {
    return new Map([...this.calls].map(([k, v]) => [k, { ...v }]));
  }
}
