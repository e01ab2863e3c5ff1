import type { Logger } from '@virtsim/telemetry';
import { monotonicNow } from '@virtsim/fleet-proto';
import type { EpochChange, FleetState } from './fleet.ts';

export interface RebalanceWatchOptions {
  fleet: FleetState;
  /** Observes each rebalance's duration in seconds. */
  histogram: { observe(seconds: number): void };
  log: Pick<Logger, 'warn'>;
  now?: () => number;
}

/**
 * Times rebalances: from the first epoch with revoking or unowned slots (and members to take
 * them) until the table is complete again. A rebalance that takes over a TTL (a revoke nobody
 * acknowledges keeps its slot from moving) is logged, once per TTL, with the agents it waits on.
 */
export class RebalanceWatch {
  private readonly opts: RebalanceWatchOptions;
  private readonly now: () => number;
  private since: number | undefined;
  private warnedAt = 0;

  constructor(opts: RebalanceWatchOptions) {
    this.opts = opts;
    this.now = opts.now ?? monotonicNow;
  }

  /** True while a rebalance is under way. */
  get busy(): boolean {
    return this.since !== undefined;
  }

  /** Called for every epoch. */
  epoch(c: Pick<EpochChange, 'revoking' | 'unowned' | 'members'>): void {
    const busy = c.members.length > 0 && (c.revoking > 0 || c.unowned > 0);
    if (busy && this.since === undefined) this.since = this.now();
    if (!busy && this.since !== undefined) {
      this.opts.histogram.observe((this.now() - this.since) / 1000);
      this.since = undefined;
      this.warnedAt = 0;
    }
  }

  /** Called periodically: warns about a rebalance stuck for over a TTL (not during the settle period). */
  check(): void {
    const { fleet, log } = this.opts;
    const ttlMs = fleet.ttlMs;
    const now = this.now();
    if (this.since === undefined || now - this.since <= ttlMs || now - this.warnedAt <= ttlMs || fleet.settling) return;
    this.warnedAt = now;
    const waitingOn = fleet.membership.ids().filter((id) => fleet.table.revokingSlotsOf(id).length > 0);
    log.warn({ sinceMs: now - this.since, revoking: fleet.table.revokingSlots().length, unowned: fleet.table.unownedCount(), waitingOn }, 'rebalance not finished');
  }
}
