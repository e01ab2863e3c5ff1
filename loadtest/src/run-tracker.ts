import { Informer, PODS, VMIMS, VMIS, VMS, type KubeClient, type KubeObject, type WatchEventType } from '@virtsim/kube';
import type { Logger } from '@virtsim/telemetry';
import { vmiKey, type MigrationRecord, type VmiRecord } from './records.ts';
import { RUN_LABEL } from './templates.ts';

type Condition = { type: string; status: string };

/** Keeps only what the measurements read, so watching 100k VMIs costs little memory. */
function slim(o: KubeObject): KubeObject {
  const conds = (o.status?.conditions as Condition[] | undefined)?.map((c) => ({ type: c.type, status: c.status }));
  return {
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      resourceVersion: o.metadata.resourceVersion,
      ownerReferences: o.metadata.ownerReferences?.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid })),
      labels: o.metadata.labels?.['kubevirt.io/migrationJobUID'] ? { 'kubevirt.io/migrationJobUID': 'x' } : undefined,
    },
    spec: o.kind === 'VirtualMachineInstanceMigration' ? { vmiName: o.spec?.vmiName } : o.kind === 'Pod' ? { nodeName: o.spec?.nodeName } : undefined,
    status: {
      phase: o.status?.phase,
      reason: o.status?.reason,
      nodeName: o.status?.nodeName,
      ready: o.status?.ready,
      printableStatus: o.status?.printableStatus,
      conditions: conds,
      migrationState: o.status?.migrationState ? { sourceNode: o.status.migrationState.sourceNode, targetNode: o.status.migrationState.targetNode } : undefined,
    },
  };
}

const isTrue = (o: KubeObject, type: string) => (o.status?.conditions as Condition[] | undefined)?.some((c) => c.type === type && c.status === 'True') ?? false;

/**
 * Watches the run's VMIs, VMs, launcher pods and migrations (by the run label) and records, per
 * object, the first time each phase or condition was seen: kube-burner's way of timing, with the
 * client's receive time, which has millisecond resolution where the objects' own timestamps have
 * seconds.
 */
export class RunTracker {
  readonly vmis = new Map<string, VmiRecord>();
  readonly migrations = new Map<string, MigrationRecord>();
  /** Objects the watches saw that this run did not create (another run with the same id?): counted, not measured. */
  unknownObjects = 0;
  private readonly informers: Informer[];
  private readonly phaseCounts = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(client: KubeClient, runId: string, log: Logger, opts: { vms: boolean }) {
    const labelSelector = `${RUN_LABEL}=${runId}`;
    const quiet = log.child({ component: 'tracker' });
    const watch = (resource: typeof VMIS, onEvent: (type: WatchEventType, o: KubeObject, at: number) => void) =>
      new Informer(client, { resource, labelSelector, transform: slim, log: quiet, pageSize: 1000, onEvent: (t, o) => onEvent(t, o, Date.now()) });
    this.informers = [watch(VMIS, (t, o, at) => this.onVmi(t, o, at)), watch(PODS, (t, o, at) => this.onPod(t, o, at)), watch(VMIMS, (t, o, at) => this.onMigration(t, o, at))];
    if (opts.vms) this.informers.push(watch(VMS, (t, o, at) => this.onVm(t, o, at)));
  }

  async start(): Promise<void> {
    for (const i of this.informers) i.start();
    // Measurements must not start before the watches do, or the first phases are missed.
    while (!this.informers.every((i) => i.hasSynced)) await new Promise((r) => setTimeout(r, 20));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** The record for an object the run is about to create. */
  expect(namespace: string, name: string, churnRound: number): VmiRecord {
    const key = vmiKey(namespace, name);
    let r = this.vmis.get(key);
    if (!r) {
      r = { name, namespace, churnRound, createAttempts: 0, phases: {}, lastPhase: 'Unknown', pod: {} };
      this.vmis.set(key, r);
      this.count('Unknown', 1);
    }
    return r;
  }

  expectMigration(namespace: string, name: string, vmiName: string): MigrationRecord {
    const r: MigrationRecord = { name, namespace, vmiName, phases: {}, lastPhase: '' };
    this.migrations.set(vmiKey(namespace, name), r);
    return r;
  }

  /** VMIs by their current phase; "Deleted" for those gone, "Unknown" for those not seen yet. */
  byPhase(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [p, n] of this.phaseCounts) if (n > 0) out[p] = n;
    return out;
  }

  /** Called after every change: the phases wait on conditions this way instead of polling. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private count(phase: string, delta: number): void {
    this.phaseCounts.set(phase, (this.phaseCounts.get(phase) ?? 0) + delta);
  }

  private setPhase(r: VmiRecord, phase: string): void {
    if (r.lastPhase === phase) return;
    this.count(r.lastPhase, -1);
    this.count(phase, 1);
    r.lastPhase = phase;
  }

  private onVmi(type: WatchEventType, o: KubeObject, at: number): void {
    const r = this.vmis.get(vmiKey(o.metadata.namespace ?? '', o.metadata.name));
    if (!r) {
      if (type === 'ADDED') this.unknownObjects++;
      return;
    }
    r.phases.Created ??= at;
    if (type === 'DELETED') {
      r.deletedAt ??= at;
      this.setPhase(r, 'Deleted');
      this.notify();
      return;
    }
    const phase: string = o.status?.phase || 'Pending';
    r.phases[phase] ??= at;
    if (o.status?.nodeName) r.node = o.status.nodeName;
    if (o.status?.reason) r.lastReason = o.status.reason;
    if (isTrue(o, 'Ready')) r.vmiReadyAt ??= at;
    this.setPhase(r, phase);
    this.notify();
  }

  private onVm(type: WatchEventType, o: KubeObject, at: number): void {
    const r = this.vmis.get(vmiKey(o.metadata.namespace ?? '', o.metadata.name));
    if (!r || type === 'DELETED') return;
    if (o.status?.ready === true || isTrue(o, 'Ready')) {
      if (r.vmReadyAt === undefined) {
        r.vmReadyAt = at;
        this.notify();
      }
    }
  }

  private onPod(type: WatchEventType, o: KubeObject, at: number): void {
    if (type === 'DELETED' || o.metadata.labels?.['kubevirt.io/migrationJobUID']) return; // a migration target's pod times a migration, not a start
    const owner = o.metadata.ownerReferences?.find((ref) => ref.kind === 'VirtualMachineInstance');
    const r = owner && this.vmis.get(vmiKey(o.metadata.namespace ?? '', owner.name));
    if (!r) return;
    const p = r.pod;
    if (p.name && p.name !== o.metadata.name) return; // only the first launcher pod times the start
    p.name = o.metadata.name;
    p.createdAt ??= at;
    if (isTrue(o, 'PodScheduled')) p.scheduledAt ??= at;
    if (isTrue(o, 'Initialized')) p.initializedAt ??= at;
    if (isTrue(o, 'ContainersReady')) p.containersReadyAt ??= at;
    if (isTrue(o, 'Ready')) p.readyAt ??= at;
  }

  private onMigration(type: WatchEventType, o: KubeObject, at: number): void {
    const r = this.migrations.get(vmiKey(o.metadata.namespace ?? '', o.metadata.name));
    if (!r || type === 'DELETED') return;
    const phase: string = o.status?.phase || 'Pending';
    r.phases[phase] ??= at;
    r.lastPhase = phase;
    this.notify();
  }

  /** Waits until `done()` holds, re-checked on every change and once a second; false on timeout or abort. */
  async until(done: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (done()) return true;
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        off();
        clearTimeout(scheduled);
        clearTimeout(deadline);
        clearInterval(tick);
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const check = () => {
        if (done()) finish(true);
      };
      // Coalesced: a burst of watch events costs one check per 50 ms, not one per event.
      let scheduled: NodeJS.Timeout | undefined;
      const soon = () => {
        scheduled ??= setTimeout(() => {
          scheduled = undefined;
          check();
        }, 50);
      };
      const onAbort = () => finish(false);
      const off = this.onChange(soon);
      const deadline = setTimeout(() => finish(done()), timeoutMs);
      const tick = setInterval(check, 1000);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
