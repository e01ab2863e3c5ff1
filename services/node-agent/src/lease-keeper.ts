import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { StatusError, LEASES, collectionPath, objectPath, type KubeClient, type Writer } from '@virtsim/kube';
import { TimerQueue } from './timer-queue.ts';

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

interface NodeLeaseState {
  lease?: Lease;
  held: boolean;
  lastRenew: number;
  busy: boolean;
}

export interface LeaseKeeperOptions {
  client: KubeClient;
  writer: Writer;
  identity: string;
  log: Logger;
  registry?: Registry;
  /** kubelet's default: 40 s, renewed every duration/4 with 4 % jitter. */
  durationSeconds?: number;
}

const NAMESPACE = 'kube-node-lease';
const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/**
 * Keeps the kube-node-lease Lease of each owned node, as the kubelet does: renew every
 * duration/4, holderIdentity = this agent. A lease is taken over only when it is free, already
 * ours, or expired, so the API server itself refuses a second heartbeat owner (writes carry the
 * resourceVersion read). Released on handover so the next owner can take it at once.
 */
export class LeaseKeeper {
  private readonly nodes = new Map<string, NodeLeaseState>();
  private readonly timers: TimerQueue;
  private readonly opts: LeaseKeeperOptions;
  private readonly durationMs: number;
  private stopped = false;

  constructor(opts: LeaseKeeperOptions) {
    this.opts = opts;
    this.durationMs = (opts.durationSeconds ?? 40) * 1000;
    // 100 ms slots: renewals due together go out in one wake-up (the kubelet's own jitter is ±400 ms).
    this.timers = new TimerQueue((node) => void this.tick(node), { granularityMs: 100 });
    if (opts.registry) {
      const nodes = this.nodes;
      new Gauge({
        name: 'virtsim_agent_leases_held',
        help: 'Node Leases this agent holds',
        registers: [opts.registry],
        collect() {
          let n = 0;
          for (const s of nodes.values()) if (s.held) n++;
          this.set(n);
        },
      });
      new Gauge({
        name: 'virtsim_agent_lease_oldest_renew_age_seconds',
        help: 'Age of the least recently renewed Lease among those held (heartbeat freshness)',
        registers: [opts.registry],
        collect() {
          let oldest = Date.now();
          for (const s of nodes.values()) if (s.held && s.lastRenew < oldest) oldest = s.lastRenew;
          this.set((Date.now() - oldest) / 1000);
        },
      });
    }
  }

  get heldCount(): number {
    let n = 0;
    for (const s of this.nodes.values()) if (s.held) n++;
    return n;
  }

  isHeld(node: string): boolean {
    return this.nodes.get(node)?.held ?? false;
  }

  /** Starts keeping the leases of these nodes. */
  own(nodes: Iterable<string>): void {
    for (const node of nodes) {
      if (this.nodes.has(node)) continue;
      this.nodes.set(node, { held: false, lastRenew: 0, busy: false });
      this.timers.schedule(node, Date.now());
    }
  }

  /** Stops renewing and hands the leases back (holder emptied) so the next owner need not wait. */
  async release(nodes: Iterable<string>): Promise<void> {
    const work: Promise<void>[] = [];
    for (const node of nodes) {
      const st = this.nodes.get(node);
      if (!st) continue;
      this.nodes.delete(node);
      this.timers.cancel(node);
      if (st.held && st.lease) work.push(this.giveBack(node, st.lease));
    }
    await Promise.all(work);
  }

  /** Stops keeping these leases without writing: used when fenced (the coordinator is lost). */
  forget(nodes: Iterable<string>): void {
    for (const node of nodes) {
      this.nodes.delete(node);
      this.timers.cancel(node);
    }
  }

  /** Forgets every lease without writing. */
  dropAll(): void {
    this.nodes.clear();
    this.timers.clear();
  }

  async stop(releaseLeases: boolean): Promise<void> {
    this.stopped = true;
    if (releaseLeases) await this.release([...this.nodes.keys()]);
    this.dropAll();
  }

  private nextRenewAt(): number {
    const interval = this.durationMs / 4;
    return Date.now() + interval * (1 - 0.04 + Math.random() * 0.08);
  }

  /**
   * The renewal after this agent first holds a lease comes at a random point within one interval
   * (never later than the kubelet's): the nodes of an agent all start at once, and with only the
   * kubelet's 4 % jitter their thousands of renewals would stay in step, one burst every interval
   * that stalls the API server. A real fleet's kubelets, started at different times, renew out of phase.
   */
  private firstRenewAt(): number {
    return Date.now() + (this.durationMs / 4) * Math.random();
  }

  private async tick(node: string): Promise<void> {
    const st = this.nodes.get(node);
    if (!st || st.busy || this.stopped) return;
    st.busy = true;
    let next = this.nextRenewAt();
    try {
      next = await this.acquireOrRenew(node, st);
    } catch (err) {
      this.opts.log.warn({ node, err }, 'lease renewal failed');
      if (err instanceof StatusError && err.code === 409) st.lease = undefined; // re-read next time
      next = Date.now() + 1000;
    } finally {
      st.busy = false;
    }
    // Still ours to keep (not released meanwhile): schedule the next attempt.
    if (this.nodes.get(node) === st && !this.stopped) this.timers.schedule(node, next);
  }

  private async acquireOrRenew(node: string, st: NodeLeaseState): Promise<number> {
    const { client, writer, identity } = this.opts;
    const now = Date.now();
    if (!st.lease) {
      try {
        st.lease = await client.request<Lease>({ method: 'GET', path: objectPath(LEASES, NAMESPACE, node) });
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
        const created = await writer.write({
          key: `${NAMESPACE}/${node}`,
          resource: 'leases',
          method: 'POST',
          path: collectionPath(LEASES, NAMESPACE),
          urgent: true,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: node, namespace: NAMESPACE },
            spec: { holderIdentity: identity, leaseDurationSeconds: this.durationMs / 1000, renewTime: microTime(now), acquireTime: microTime(now) },
          },
        });
        if (created.outcome === 'done') this.renewed(st, created.body as Lease, now);
        return this.firstRenewAt();
      }
    }
    const lease = st.lease!;
    const holder = lease.spec.holderIdentity ?? '';
    const renewedAt = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expiresAt = renewedAt + (lease.spec.leaseDurationSeconds ?? 40) * 1000;
    if (holder && holder !== identity && expiresAt > now) {
      // Another agent holds it (a handover in progress, or a crashed agent's lease not yet expired).
      st.held = false;
      st.lease = undefined;
      return Math.min(expiresAt + 50, now + this.durationMs / 4);
    }
    const takeover = holder !== identity;
    const res = await writer.write({
      key: `${NAMESPACE}/${node}`,
      resource: 'leases',
      method: 'PUT',
      path: objectPath(LEASES, NAMESPACE, node),
      urgent: true,
      body: {
        ...lease,
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        spec: {
          ...lease.spec,
          holderIdentity: identity,
          leaseDurationSeconds: this.durationMs / 1000,
          renewTime: microTime(now),
          ...(takeover ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
        },
      },
    });
    if (res.outcome === 'gone') {
      st.lease = undefined;
      return Date.now();
    }
    if (takeover) this.opts.log.info({ node, from: holder || null }, 'took node lease');
    const first = !st.held;
    this.renewed(st, res.body as Lease, now);
    return first ? this.firstRenewAt() : this.nextRenewAt();
  }

  private renewed(st: NodeLeaseState, lease: Lease, at: number): void {
    st.lease = lease;
    st.held = true;
    st.lastRenew = at;
  }

  private async giveBack(node: string, lease: Lease): Promise<void> {
    try {
      await this.opts.writer.write({
        key: `${NAMESPACE}/${node}`,
        resource: 'leases',
        method: 'PUT',
        path: objectPath(LEASES, NAMESPACE, node),
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(0) } },
      });
    } catch (err) {
      // Someone else wrote it meanwhile: it expires on its own.
      this.opts.log.info({ node, err }, 'lease not released');
    }
  }
}
