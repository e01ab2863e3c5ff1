import { StatusError, Backoff, isRetryable, sleep, type KubeClient } from '@virtsim/kube';
import type { Logger } from '@virtsim/telemetry';
import type { ApiStats } from './api-stats.ts';
import type { LoadtestConfig, PhaseKind } from './config.ts';
import type { RunTracker } from './run-tracker.ts';

/** What every phase gets: the cluster, the run's identity and watches, and the stop signal. */
export interface RunContext {
  client: KubeClient;
  config: LoadtestConfig;
  runId: string;
  tracker: RunTracker;
  api: ApiStats;
  log: Logger;
  /** Aborted on Ctrl-C: phases stop starting new work and return what they have. */
  signal: AbortSignal;
  /** Seeded, so a run picks the same VMIs and nodes again for the same seed. */
  random: () => number;
  /** Set by a phase while it runs, for the live view. */
  progress: PhaseProgress;
}

export interface PhaseProgress {
  phase: PhaseKind | 'prepare' | 'report';
  done: number;
  total: number;
  /** When the phase's paced work started, and its rate: for "asked vs achieved". */
  startedAt: number;
  qps: number;
  burst: number;
}

/** What a phase reports: when it ran, whether it reached its goal, and its own figures. */
export interface PhaseResult {
  kind: PhaseKind;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** Phase-specific figures (counts, recovery times), for the report. */
  summary: Record<string, unknown>;
  /** Why it did not reach its goal, one line each. */
  problems: string[];
  /** Samples (ms) of latencies the phase measures itself (e.g. DrainNode): reported and thresholded like the others. */
  latencies?: Record<string, number[]>;
}

/** Counters of retried and failed writes, for the report: a failed create is never silent. */
export interface WriteCounters {
  retries: number;
  failures: number;
}

/**
 * One API write that is retried with backoff while the answer is transient (429, 5xx, timeouts,
 * connection errors) until it succeeds, the run is stopped, or the write is refused (4xx), which
 * the caller counts. AlreadyExists after a retried create means the first try landed.
 */
export async function writeWithRetry<T>(ctx: RunContext, verb: string, resource: string, counters: WriteCounters, call: () => Promise<T>): Promise<T | 'exists'> {
  const backoff = new Backoff(100, 10_000);
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.api.measure(verb, resource, call);
    } catch (err) {
      if (attempt > 0 && verb === 'create' && err instanceof StatusError && err.code === 409) return 'exists';
      if (!isRetryable(err) || ctx.signal.aborted) {
        counters.failures++;
        throw err;
      }
      counters.retries++;
      await sleep(err instanceof StatusError && err.retryAfterMs ? err.retryAfterMs : backoff.next(), ctx.signal);
    }
  }
}

/** Runs `work` for each item with at most `limit` in flight. */
export async function forEachLimited<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (const item of items) {
    const p = work(item).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** mulberry32: small, seeded, good enough to pick VMIs and nodes reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct items picked at random. */
export function pick<T>(items: T[], n: number, random: () => number): T[] {
  const a = items.slice();
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}
