import type { KubeClient, KubeObject } from '@virtsim/kube';
import type { ApiCallStats, ApiStats } from './api-stats.ts';
import type { FleetMetrics, FleetSample } from './fleet-metrics.ts';
import type { ProcessSample, ProcessStats } from './process-stats.ts';
import type { PhaseProgress } from './run-context.ts';
import type { RunTracker } from './run-tracker.ts';

/** One point of the run's time series. */
export interface Sample {
  /** Seconds since the run started. */
  t: number;
  phase: string;
  /** Objects the current paced phase should have sent by now at its rate, and those it has done. */
  asked: number;
  done: number;
  vmisByPhase: Record<string, number>;
  /** The load test's own API calls per second and their mean latency, by "verb resource". */
  api: Record<string, { perSecond: number; avgMs: number; errors: number }>;
  fleet?: FleetSample;
  /** From the node Leases themselves when the agents' metrics are not reachable. */
  oldestLeaseAgeSeconds?: number | null;
  processes?: Record<string, ProcessSample>;
}

export interface SamplerOptions {
  client: KubeClient;
  tracker: RunTracker;
  api: ApiStats;
  progress: PhaseProgress;
  fleet: FleetMetrics;
  processes: ProcessStats;
  intervalMs?: number;
  onSample?: (s: Sample) => void;
}

/** Samples the run once a second (by default) into `series`. */
export class Sampler {
  readonly series: Sample[] = [];
  private readonly opts: SamplerOptions;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private prevApi: { at: number; calls: Map<string, ApiCallStats> };
  private running: Promise<void> = Promise.resolve();
  private ticks = 0;
  private leaseAge: number | null | undefined;

  constructor(opts: SamplerOptions) {
    this.opts = opts;
    this.prevApi = { at: performance.now(), calls: opts.api.snapshot() };
  }

  start(): void {
    this.timer = setInterval(() => {
      // One sample at a time: a slow scrape delays the next point instead of piling up.
      this.running = this.running.then(() => this.sampleOnce());
    }, this.opts.intervalMs ?? 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.sampleOnce();
  }

  private async sampleOnce(): Promise<void> {
    const { progress, tracker } = this.opts;
    const now = Date.now();
    const elapsed = (now - progress.startedAt) / 1000;
    const asked = progress.qps > 0 ? Math.min(progress.total, Math.floor(progress.burst + progress.qps * elapsed)) : progress.total;
    const fleet = await this.opts.fleet.sample().catch(() => undefined);
    if (!fleet && this.ticks++ % 10 === 0) this.leaseAge = await oldestLeaseAge(this.opts.client).catch(() => null);
    const s: Sample = {
      t: Math.round((now - this.startedAt) / 100) / 10,
      phase: progress.phase,
      asked,
      done: progress.done,
      vmisByPhase: tracker.byPhase(),
      api: this.apiRates(),
      fleet,
      oldestLeaseAgeSeconds: fleet ? fleet.oldestLeaseAgeSeconds : this.leaseAge,
      processes: this.opts.processes.sample(),
    };
    this.series.push(s);
    this.opts.onSample?.(s);
  }

  private apiRates(): Sample['api'] {
    const at = performance.now();
    const calls = this.opts.api.snapshot();
    const dt = (at - this.prevApi.at) / 1000;
    const out: Sample['api'] = {};
    for (const [key, c] of calls) {
      const p = this.prevApi.calls.get(key) ?? { count: 0, errors: 0, totalMs: 0, maxMs: 0 };
      const n = c.count - p.count;
      if (n <= 0 && c.errors === p.errors) continue;
      out[key] = { perSecond: dt > 0 ? Math.round((n / dt) * 10) / 10 : 0, avgMs: n > 0 ? Math.round(((c.totalMs - p.totalMs) / n) * 10) / 10 : 0, errors: c.errors - p.errors };
    }
    this.prevApi = { at, calls };
    return out;
  }
}

/** Seconds since the stalest node Lease in kube-node-lease was renewed; the kubelet's heartbeat, as the cluster sees it. */
export async function oldestLeaseAge(client: KubeClient): Promise<number | null> {
  let oldest: number | null = null;
  let cont: string | undefined;
  const now = Date.now();
  do {
    const page = await client.request<{ items: KubeObject[]; metadata: { continue?: string } }>({ method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', query: { limit: 2000, continue: cont } });
    for (const l of page.items) {
      const renew = Date.parse(l.spec?.renewTime ?? '');
      if (Number.isFinite(renew)) oldest = Math.max(oldest ?? 0, (now - renew) / 1000);
    }
    cont = page.metadata.continue || undefined;
  } while (cont);
  return oldest === null ? null : Math.round(oldest * 10) / 10;
}
