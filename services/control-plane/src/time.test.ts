import { describe, expect, it } from 'vitest';
import { kubeNow } from './time.ts';

describe('kubeNow', () => {
  it('writes RFC 3339 with second precision, the second the time falls in', () => {
    expect(kubeNow(Date.UTC(2026, 11, 7, 6, 0, 5, 999))).toBe('2026-12-07T06:00:05Z');
    expect(kubeNow(Date.UTC(2026, 11, 7, 6, 0, 6, 0))).toBe('2026-12-07T06:00:06Z');
    expect(kubeNow(Date.UTC(2026, 11, 7, 6, 0, 5, 1))).toBe('2026-12-07T06:00:05Z');
    // Before 1970 the second is the one below (floor, not truncation).
    expect(kubeNow(-1)).toBe('1969-12-31T23:59:59Z');
  });
});
