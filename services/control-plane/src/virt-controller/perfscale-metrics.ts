import type { KubeObject, WatchEventType } from '@virtsim/kube';
import { Gauge, Histogram } from 'prom-client';
import type { ControllerContext } from '../context.ts';

// The perf-scale metrics real virt-controller exports (pkg/monitoring/metrics/virt-controller),
// under their KubeVirt names, so dashboards and kube-burner profiles written for KubeVirt read
// the stand-in unchanged: phase transition times from creation, from the previous phase and
// from deletion (from status.phaseTransitionTimestamps), migrations' transition times, VMIs by phase.

/** Transition-time buckets: half a second to an hour, as KubeVirt's spread. */
const BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 40, 50, 60, 90, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2400, 3000, 3600];

type Transitions = Array<{ phase: string; phaseTransitionTimestamp: string }>;

const seconds = (a: string | undefined, b: string | undefined) => (Date.parse(b ?? '') - Date.parse(a ?? '')) / 1000;

export class PerfscaleMetrics {
  private readonly seen = new Map<string, string>();
  private active = false;

  constructor(ctx: ControllerContext) {
    const registers = [ctx.registry];
    const fromCreation = new Histogram({ name: 'kubevirt_vmi_phase_transition_time_from_creation_seconds', help: 'Seconds from a VMI creation to its phase transition', labelNames: ['phase'], buckets: BUCKETS, registers });
    const fromPrevious = new Histogram({ name: 'kubevirt_vmi_phase_transition_time_seconds', help: 'Seconds from a VMI phase transition to the next', labelNames: ['phase'], buckets: BUCKETS, registers });
    const fromDeletion = new Histogram({ name: 'kubevirt_vmi_phase_transition_time_from_deletion_seconds', help: 'Seconds from a VMI deletion to its final phase', labelNames: ['phase'], buckets: BUCKETS, registers });
    const migration = new Histogram({ name: 'kubevirt_vmi_migration_phase_transition_time_from_creation_seconds', help: 'Seconds from a migration creation to its phase transition', labelNames: ['phase'], buckets: BUCKETS, registers });
    const vmis = ctx.caches.vmis;
    new Gauge({
      name: 'kubevirt_vmi_phase_count',
      help: 'VMIs by phase and node',
      labelNames: ['phase', 'node'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, { phase: string; node: string; n: number }>();
        for (const v of vmis.values()) {
          const phase = String(v.status?.phase || 'Unset').toLowerCase();
          const node = String(v.status?.nodeName ?? '');
          const k = `${phase}\0${node}`;
          const c = counts.get(k) ?? { phase, node, n: 0 };
          c.n++;
          counts.set(k, c);
        }
        for (const c of counts.values()) this.set({ phase: c.phase, node: c.node }, c.n);
      },
    });
    ctx.caches.vmis.onChange((type, obj) => this.onChange(type, obj, (o, phase, list) => {
      const entry = list.findLast((t) => t.phase === phase)!;
      fromCreation.observe({ phase }, seconds(o.metadata.creationTimestamp, entry.phaseTransitionTimestamp));
      const i = list.indexOf(entry);
      if (i > 0) fromPrevious.observe({ phase }, seconds(list[i - 1].phaseTransitionTimestamp, entry.phaseTransitionTimestamp));
      if (o.metadata.deletionTimestamp && (phase === 'Succeeded' || phase === 'Failed')) fromDeletion.observe({ phase }, seconds(o.metadata.deletionTimestamp, entry.phaseTransitionTimestamp));
    }));
    ctx.caches.vmims.onChange((type, obj) => this.onChange(type, obj, (o, phase, list) => {
      const entry = list.findLast((t) => t.phase === phase)!;
      migration.observe({ phase }, seconds(o.metadata.creationTimestamp, entry.phaseTransitionTimestamp));
    }));
  }

  /** Calls `record` once per phase an object reaches that carries a transition timestamp. */
  private onChange(type: WatchEventType, obj: KubeObject, record: (o: KubeObject, phase: string, list: Transitions) => void): void {
    const uid = obj.metadata.uid ?? '';
    if (type === 'DELETED') {
      this.seen.delete(uid);
      return;
    }
    const phase = obj.status?.phase as string | undefined;
    const before = this.seen.get(uid);
    if (!phase || phase === before) return;
    this.seen.set(uid, phase);
    // Not a change this replica saw happen (a relist) or not leading: not observed, as in KubeVirt.
    if (!this.active || before === undefined && type !== 'MODIFIED') return;
    const list = obj.status?.phaseTransitionTimestamps as Transitions | undefined;
    if (!Array.isArray(list) || !list.some((t) => t.phase === phase)) return;
    record(obj, phase, list);
  }

  start(): void {
    this.active = true;
  }

  async stop(): Promise<void> {
    this.active = false;
  }
}
