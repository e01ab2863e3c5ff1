import { formatMs, parseDuration } from './durations.ts';
import type { QuantileSummary } from './quantiles.ts';

export type ThresholdMetric = 'P50' | 'P95' | 'P99' | 'max' | 'avg';

/** kube-burner's threshold: a latency name, a statistic and the bound it must stay under. */
export interface Threshold {
  name: string;
  metric: ThresholdMetric;
  maxMs: number;
  /** As the user wrote it, for messages. */
  text: string;
}

export interface ThresholdResult extends Threshold {
  observedMs: number | undefined;
  passed: boolean;
}

const METRICS = new Set<ThresholdMetric>(['P50', 'P95', 'P99', 'max', 'avg']);

/** `VMIRunning:P99<2s` -> a Threshold; throws a message naming what is wrong. */
export function parseThreshold(text: string): Threshold {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*:\s*([A-Za-z0-9]+)\s*<\s*(\S+)\s*$/.exec(text);
  if (!m) throw new Error(`threshold ${JSON.stringify(text)}: expected NAME:STAT<DURATION, e.g. VMIRunning:P99<2s`);
  const [, name, metric, bound] = m;
  if (!METRICS.has(metric as ThresholdMetric)) throw new Error(`threshold ${JSON.stringify(text)}: statistic ${metric} is not one of P50, P95, P99, max, avg`);
  const maxMs = parseDuration(bound);
  if (maxMs === undefined) throw new Error(`threshold ${JSON.stringify(text)}: ${JSON.stringify(bound)} is not a duration (e.g. 500ms, 2s, 1m)`);
  return { name, metric: metric as ThresholdMetric, maxMs, text: text.trim() };
}

/**
 * A threshold on a latency nothing measured fails: a run where no VMI reached Running must not
 * pass `VMIRunning:P99<2s`.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], quantiles: Record<string, QuantileSummary | undefined>): ThresholdResult[] {
  return thresholds.map((t) => {
    const observedMs = quantiles[t.name]?.[t.metric];
    return { ...t, observedMs, passed: observedMs !== undefined && observedMs < t.maxMs };
  });
}

export function describeThreshold(r: ThresholdResult): string {
  const seen = r.observedMs === undefined ? 'nothing measured' : formatMs(r.observedMs);
  return `${r.passed ? 'ok  ' : 'FAIL'} ${r.name} ${r.metric} < ${formatMs(r.maxMs)}: ${seen}`;
}
