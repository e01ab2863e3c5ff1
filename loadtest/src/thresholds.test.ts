import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.ts';
import { evaluateThresholds, parseThreshold } from './thresholds.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5m', 90_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['30', 30_000],
  ])('%s is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'fast', '2 s', '-1s', '1d', 's'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('thresholds', () => {
  it('parses kube-burner style NAME:STAT<DURATION', () => {
    expect(parseThreshold('VMIRunning:P99<2s')).toEqual({ name: 'VMIRunning', metric: 'P99', maxMs: 2000, text: 'VMIRunning:P99<2s' });
  });

  it('names what is wrong in a bad one', () => {
    expect(() => parseThreshold('VMIRunning<2s')).toThrow(/expected NAME:STAT<DURATION/);
    expect(() => parseThreshold('VMIRunning:P90<2s')).toThrow(/P90 is not one of P50, P95, P99, max, avg/);
    expect(() => parseThreshold('VMIRunning:P99<soon')).toThrow(/"soon" is not a duration/);
  });

  it('fails a bound that is reached, and one on a latency nothing measured', () => {
    const q = { VMIRunning: { count: 3, P50: 100, P95: 1999, P99: 2000, max: 2500, avg: 900 } };
    const [p95, p99, missing] = evaluateThresholds([parseThreshold('VMIRunning:P95<2s'), parseThreshold('VMIRunning:P99<2s'), parseThreshold('VMReady:P99<1h')], q);
    expect([p95.passed, p95.observedMs]).toEqual([true, 1999]);
    expect([p99.passed, p99.observedMs]).toEqual([false, 2000]);
    expect([missing.passed, missing.observedMs]).toEqual([false, undefined]);
  });
});
