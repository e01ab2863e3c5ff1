/** The watcher's Prometheus metrics: counters it bumps, and gauges read from its caches at scrape time. */
import type { Informer } from '@virtsim/kube';
import { NODES, VMIS, type KubeObject } from '@virtsim/kube';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Fanout } from './fanout.ts';
import type { LifecycleTracer } from './lifecycle-tracer.ts';

export function registerWatcherCounters(registry: Registry) {
  return {
    received: new Counter({ name: 'virtsim_watcher_events_received_total', help: 'Watch events received', labelNames: ['kind', 'type'], registers: [registry] }),
    published: new Counter({ name: 'virtsim_watcher_events_published_total', help: 'Events published to NATS', labelNames: ['kind', 'type'], registers: [registry] }),
    unrouted: new Counter({ name: 'virtsim_watcher_events_unrouted_total', help: 'Events of objects on no node (left to the control plane)', labelNames: ['kind'], registers: [registry] }),
    skipped: new Counter({
      name: 'virtsim_watcher_objects_skipped_total',
      help: 'Watch events of objects the fleet cannot route or play (malformed fields, or an unexpected error), not published',
      labelNames: ['kind', 'reason'],
      registers: [registry],
    }),
    leader: new Gauge({ name: 'virtsim_watcher_leader', help: '1 while this replica leads', registers: [registry] }),
    snapshots: new Counter({ name: 'virtsim_watcher_snapshots_served_total', help: 'Snapshot requests answered', registers: [registry] }),
    unpublishable: new Counter({
      name: 'virtsim_watcher_objects_unpublishable_total',
      help: 'Events and snapshot items left out because the object does not fit in one NATS message (max_payload)',
      labelNames: ['kind', 'path'],
      registers: [registry],
    }),
  };
}

export type WatcherCounters = ReturnType<typeof registerWatcherCounters>;

/** Gauges computed when scraped: routed objects, followed lifecycles, VMIs by phase. */
export function registerCacheGauges(registry: Registry, fanout: Fanout, lifecycles: LifecycleTracer, informers: Map<string, Informer>): void {
  new Gauge({
    name: 'virtsim_watcher_objects_cached',
    help: 'Objects routed to a slot',
    registers: [registry],
    collect() {
      this.set(fanout.size);
    },
  });
  new Gauge({
    name: 'virtsim_watcher_lifecycles_tracked',
    help: 'VMIs and migrations whose phases are followed for their lifecycle trace',
    registers: [registry],
    collect() {
      this.set(lifecycles.size);
    },
  });
  // The fleet's nodes by readiness (what `virtsim up`'s status line shows, without its own watch).
  new Gauge({
    name: 'virtsim_watcher_nodes',
    help: "The fleet's Nodes in the watch cache, by Ready condition",
    labelNames: ['ready'],
    registers: [registry],
    collect() {
      const store = informers.get(NODES.kind)?.store;
      let ready = 0;
      for (const n of store?.values() ?? []) if (isReady(n)) ready++;
      this.set({ ready: 'true' }, ready);
      this.set({ ready: 'false' }, (store?.size ?? 0) - ready);
    },
  });
  // VMIs by phase as the fleet sees them (a real KubeVirt's kubevirt_vmi_phase_count needs its metrics scraped).
  new Gauge({
    name: 'virtsim_watcher_vmis',
    help: 'VMIs in the watch cache, by phase',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      this.reset();
      const store = informers.get(VMIS.kind)?.store;
      if (!store) return;
      const counts = new Map<string, number>();
      for (const v of store.values()) {
        const phase = String(v.status?.phase || 'Unset');
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
}

function isReady(node: KubeObject): boolean {
  const conditions = node.status?.conditions as Array<{ type: string; status: string }> | undefined;
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
