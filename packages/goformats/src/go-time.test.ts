import { describe, expect, it } from 'vitest';
import { formatRfc3339Nano, nsUntil, parseGoDuration, parseRfc3339 } from './go-time.ts';

describe('Go time parsing', () => {
  it('parses Go durations', () => {
    expect(parseGoDuration('30s')).toBe(30e9);
    expect(parseGoDuration('1h2m3.5s')).toBe(3723.5e9);
    expect(parseGoDuration('-1.5ms')).toBe(-1.5e6);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('5 s')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });
  it('parses RFC3339Nano with offsets and fractions, rejecting what Go rejects', () => {
    const now = Date.UTC(2006, 0, 2, 15, 4, 5);
    expect(nsUntil(parseRfc3339('2006-01-02T15:04:06Z')!, now)).toBe(1e9);
    expect(nsUntil(parseRfc3339('2006-01-02T16:04:05.5+01:00')!, now)).toBe(0.5e9);
    expect(nsUntil(parseRfc3339('2006-01-02T15:04:05.000000123Z')!, now)).toBe(123);
    expect(parseRfc3339('2006-01-02 15:04:05Z')).toBeUndefined();
    expect(parseRfc3339('2006-02-30T15:04:05Z')).toBeUndefined();
  });
  it('formats RFC3339Nano in UTC without trailing zeros', () => {
    expect(formatRfc3339Nano(Date.UTC(2006, 0, 2, 15, 4, 5))).toBe('2006-01-02T15:04:05Z');
    expect(formatRfc3339Nano(Date.UTC(2006, 0, 2, 15, 4, 5, 120))).toBe('2006-01-02T15:04:05.12Z');
  });
});
