/** The fleet's figures the run follows, read from the agents' Prometheus /metrics. */
export interface FleetSample {
  transitionsPerSecond: number;
  queuedWrites: number;
  pendingTimers: number;
  /** Mean NATS fan-out lag over the interval, ms. */
  fanoutLagMs: number | null;
  /** Oldest node Lease renewal age across agents, seconds. */
  oldestLeaseAgeSeconds: number | null;
}

interface Totals {
  transitions: number;
  lagSum: number;
  lagCount: number;
  queued: number;
  timers: number;
  leaseAge: number | null;
}

/** Sums a metric family's samples in Prometheus text: `name{labels} value` or `name value`. */
function scan(text: string, into: Totals): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith('virtsim_')) continue;
    const sp = line.lastIndexOf(' ');
    const value = Number(line.slice(sp + 1));
    if (!Number.isFinite(value)) continue;
    const brace = line.indexOf('{');
    const name = line.slice(0, brace >= 0 ? brace : line.indexOf(' '));
    switch (name) {
      case 'virtsim_agent_transitions_total':
        into.transitions += value;
        break;
      case 'virtsim_agent_fanout_lag_seconds_sum':
        into.lagSum += value;
        break;
      case 'virtsim_agent_fanout_lag_seconds_count':
        into.lagCount += value;
        break;
      case 'virtsim_api_writes_queued':
        into.queued += value;
        break;
      case 'virtsim_agent_pending_timers':
        into.timers += value;
        break;
      case 'virtsim_agent_lease_oldest_renew_age_seconds':
        into.leaseAge = Math.max(into.leaseAge ?? 0, value);
        break;
    }
  }
}

/** Scrapes the agents each sample; rates are between two scrapes. An agent that does not answer is skipped that time. */
export class FleetMetrics {
  private readonly urls: () => string[];
  private prev: { at: number; t: Totals } | undefined;

  constructor(urls: () => string[]) {
    this.urls = urls;
  }

  get available(): boolean {
    return this.urls().length > 0;
  }

  async sample(): Promise<FleetSample | undefined> {
    const urls = this.urls();
    if (urls.length === 0) return undefined;
    const t: Totals = { transitions: 0, lagSum: 0, lagCount: 0, queued: 0, timers: 0, leaseAge: null };
    await Promise.all(
      urls.map(async (url) => {
        try {
          scan(await (await fetch(url, { signal: AbortSignal.timeout(2000) })).text(), t);
        } catch {
          // an agent restarting or busy: counted next time
        }
      }),
    );
    const at = performance.now();
    const prev = this.prev;
    this.prev = { at, t };
    const dt = prev ? (at - prev.at) / 1000 : 0;
    const lagCount = prev ? t.lagCount - prev.t.lagCount : 0;
    return {
      transitionsPerSecond: prev && dt > 0 ? Math.max(0, Math.round((t.transitions - prev.t.transitions) / dt)) : 0,
      queuedWrites: t.queued,
      pendingTimers: t.timers,
      fanoutLagMs: lagCount > 0 ? Math.round(((t.lagSum - prev!.t.lagSum) / lagCount) * 10000) / 10 : null,
      oldestLeaseAgeSeconds: t.leaseAge,
    };
  }
}
