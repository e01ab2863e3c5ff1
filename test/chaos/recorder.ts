// A watch of VMIs and node Leases kept over a whole chaos run (informers: they re-watch through
// cut connections and relist after 410), reduced to what the checks need: each VMI's phases in
// order and when it first ran, and each Lease's handovers and renewal gaps.
import { Informer, LEASES, VMIS, type KubeClient, type KubeObject } from '@virtsim/kube';
import type { Logger } from '@virtsim/telemetry';

export interface VmiTrack {
  phases: string[];
  /** When the watch first showed it Running (ms since the epoch). */
  runningAt?: number;
  /** How many times the watch showed it enter Running (1 when played once). */
  runningEntries: number;
}

export interface LeaseTrack {
  holder: string;
  renewTime: number;
  durationMs: number;
  /** Renewal gaps longer than the lease's duration: [from, to] in ms. */
  gaps: Array<[number, number]>;
  /** A live holder replaced by another before its lease expired (two agents on one node). */
  violations: string[];
}

export class RunRecorder {
  readonly vmis = new Map<string, VmiTrack>();
  readonly leases = new Map<string, LeaseTrack>();
  private readonly informers: Informer[];

  constructor(client: KubeClient, parentLog: Logger) {
    // Its watches are cut on purpose during the run: their retries are not news.
    const log = parentLog.child({ component: 'recorder' }, { level: 'error' });
    const vmiInformer = new Informer(client, {
      resource: VMIS,
      log,
      transform: (o) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } }),
      onEvent: (type, obj) => {
        if (type !== 'DELETED') this.onVmi(obj);
      },
    });
    const leaseInformer = new Informer(client, {
      resource: LEASES,
      fieldSelector: 'metadata.namespace=kube-node-lease',
      log,
      onEvent: (type, obj) => {
        if (type !== 'DELETED') this.onLease(obj);
      },
    });
    this.informers = [vmiInformer, leaseInformer];
    for (const i of this.informers) i.start();
  }

  get synced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }

  private onVmi(obj: KubeObject): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    let t = this.vmis.get(key);
    if (!t) this.vmis.set(key, (t = { phases: [], runningEntries: 0 }));
    const phase = (obj.status?.phase as string | undefined) ?? '';
    if (t.phases.at(-1) === phase) return;
    t.phases.push(phase);
    if (phase === 'Running') {
      t.runningEntries++;
      t.runningAt ??= Date.now();
    }
  }

  private onLease(obj: KubeObject): void {
    const name = obj.metadata.name;
    if (!name.startsWith('virtsim-node-')) return;
    const holder = (obj.spec?.holderIdentity as string | undefined) ?? '';
    const renewTime = Date.parse(obj.spec?.renewTime ?? '') || 0;
    const durationMs = Number(obj.spec?.leaseDurationSeconds ?? 40) * 1000;
    const prev = this.leases.get(name);
    const t: LeaseTrack = prev ?? { holder, renewTime, durationMs, gaps: [], violations: [] };
    if (prev) {
      if (prev.renewTime && renewTime - prev.renewTime > prev.durationMs) t.gaps.push([prev.renewTime, renewTime]);
      const takenAt = Date.parse(obj.spec?.acquireTime ?? '') || renewTime;
      if (prev.holder && holder && holder !== prev.holder && takenAt < prev.renewTime + prev.durationMs) {
        t.violations.push(`${name}: ${prev.holder} -> ${holder} at ${new Date(takenAt).toISOString()} before ${prev.holder}'s lease expired`);
      }
    }
    t.holder = holder;
    t.renewTime = renewTime;
    t.durationMs = durationMs;
    this.leases.set(name, t);
  }

  /** Nodes whose Lease this agent holds now. */
  nodesHeldBy(agent: string): string[] {
    return [...this.leases].filter(([, t]) => t.holder === agent).map(([n]) => n);
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
