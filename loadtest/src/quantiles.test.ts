import { describe, expect, it } from 'vitest';
import { cdf, summarize } from './quantiles.ts';

describe('summarize', () => {
  it('takes nearest-rank quantiles as kube-burner does', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(summarize(samples)).toEqual({ count: 100, P50: 50, P95: 95, P99: 99, max: 100, avg: 50.5 });
  });

  it('gives the only value for one sample and nothing for none', () => {
    expect(summarize([42])).toEqual({ count: 1, P50: 42, P95: 42, P99: 42, max: 42, avg: 42 });
    expect(summarize([])).toBeUndefined();
  });

  it('picks the upper of two values at an even split (ceil(q·n)-1)', () => {
    expect(summarize([10, 20])!.P50).toBe(10);
    expect(summarize([10, 20, 30])!.P50).toBe(20);
    expect(summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000])!.P95).toBe(1000);
  });
});

describe('cdf', () => {
  it('rises to 1 at the largest sample and is thinned to the asked size', () => {
    const points = cdf(Array.from({ length: 10_000 }, (_, i) => i), 100);
    expect(points.length).toBeLessThanOrEqual(102);
    expect(points.at(-1)).toEqual([9999, 1]);
    for (let i = 1; i < points.length; i++) {
      expect(points[i][0]).toBeGreaterThanOrEqual(points[i - 1][0]);
      expect(points[i][1]).toBeGreaterThan(points[i - 1][1]);
    }
  });
});
