import type { Logger } from 'pino';
import { StatusError } from '@virtsim/apimachinery/status-error';
import { sleep } from './backoff.ts';
import type { KubeClient } from './client.ts';
import { LEASES, collectionPath, objectPath } from './resources.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How often the leader renews; also how often a candidate retries. */
  renewIntervalMs?: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const microTime = (d: Date) => d.toISOString().replace('Z', '000Z');

/**
 * Leader election on a coordination.k8s.io Lease, client-go's rules: take the lease when it is
 * free, ours, or expired (renewTime + duration in the past); writes carry the resourceVersion we
 * read, so two candidates cannot both win. A leader that fails to renew within the lease duration
 * steps down before anyone else may take over.
 */
export class LeaderElector {
  private readonly client: KubeClient;
  private readonly opts: Required<Omit<LeaderElectionOptions, 'log' | 'onStartedLeading' | 'onStoppedLeading'>> &
    LeaderElectionOptions;
  private leading = false;
  private lastRenew = 0;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;

  constructor(client: KubeClient, opts: LeaderElectionOptions) {
    this.client = client;
    this.opts = { leaseDurationSeconds: 15, renewIntervalMs: 2_000, ...opts };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Steps down (releasing the lease so a standby takes over at once) and stops. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    if (this.leading) {
      await this.release().catch((err) => this.opts.log.warn({ err }, 'releasing leader lease failed'));
      this.setLeading(false);
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.opts.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity, leading: v }, v ? 'became leader' : 'lost leadership');
    if (v) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const ok = await this.tryAcquireOrRenew();
        if (ok) this.lastRenew = Date.now();
        this.setLeading(ok);
      } catch (err) {
        this.opts.log.warn({ err }, 'leader election attempt failed');
        // Step down once the lease may have expired in others' eyes.
        if (this.leading && Date.now() - this.lastRenew > this.opts.leaseDurationSeconds * 1000 * 0.8) this.setLeading(false);
      }
      await sleep(this.opts.renewIntervalMs, this.abort.signal);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    const now = new Date();
    let lease: Lease | undefined;
    try {
      lease = await this.client.request<Lease>({ method: 'GET', path: objectPath(LEASES, namespace, name) });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    if (!lease) {
      try {
        await this.client.request({
          method: 'POST',
          path: collectionPath(LEASES, namespace),
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
        });
        return true;
      } catch (err) {
        if (err instanceof StatusError && err.code === 409) return false;
        throw err;
      }
    }
    const holder = lease.spec.holderIdentity ?? '';
    const renewedAt = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const duration = (lease.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = renewedAt + duration < now.getTime();
    if (holder && holder !== identity && !expired) return false;
    const takingOver = holder !== identity;
    const spec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: microTime(now),
      ...(takingOver ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.client.request({ method: 'PUT', path: objectPath(LEASES, namespace, name), body: { ...lease, spec } });
      return true;
    } catch (err) {
      if (err instanceof StatusError && err.code === 409) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    const lease = await this.client.request<Lease>({ method: 'GET', path: objectPath(LEASES, namespace, name) });
    if (lease.spec.holderIdentity !== identity) return;
    await this.client.request({
      method: 'PUT',
      path: objectPath(LEASES, namespace, name),
      body: { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(new Date(0)) } },
    });
  }
}
