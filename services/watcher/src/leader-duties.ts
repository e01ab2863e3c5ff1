/**
 * What only the leading watcher does: publish events, serve snapshots, emit lifecycle traces, and
 * ask agents to resync when it takes over (the previous leader may have missed events).
 */
import { context } from '@opentelemetry/api';
import { RESYNC_SUBJECT, type Bus } from '@virtsim/bus';
import type { Logger } from '@virtsim/telemetry';
import type { Fanout } from './fanout.ts';
import type { LifecycleTracer } from './lifecycle-tracer.ts';
import type { WatcherCounters } from './watcher-metrics.ts';

export class LeaderDuties {
  private snapshotSub: ReturnType<Bus['serveSnapshots']> | null = null;
  private readonly bus: Bus;
  private readonly fanout: Fanout;
  private readonly lifecycles: LifecycleTracer;
  private readonly counters: WatcherCounters;
  private readonly log: Logger;

  constructor(bus: Bus, fanout: Fanout, lifecycles: LifecycleTracer, counters: WatcherCounters, log: Logger) {
    this.bus = bus;
    this.fanout = fanout;
    this.lifecycles = lifecycles;
    this.counters = counters;
    this.log = log;
  }

  requestResync(): void {
    this.bus.nc.publish(RESYNC_SUBJECT);
    this.log.info('asked agents to resync from snapshots');
  }

  start(): void {
    const { bus, counters, log } = this;
    counters.leader.set(1);
    this.lifecycles.emit = true;
    this.fanout.publish = (event) => {
      try {
        bus.publish(event, context.active());
      } catch (err) {
        counters.unpublishable.inc({ kind: event.kind, path: 'event' });
        log.warn({ err: String(err), kind: event.kind, name: event.object.metadata.name, namespace: event.object.metadata.namespace }, 'event not publishable, skipped');
      }
    };
    this.snapshotSub = bus.serveSnapshots(
      (slots) => {
        counters.snapshots.inc();
        return this.fanout.snapshot(slots);
      },
      {
        onError: (err) => log.warn({ err: String(err) }, 'snapshot request failed'),
        onSkip: (item, bytes, limit) => {
          counters.unpublishable.inc({ kind: item.kind, path: 'snapshot' });
          log.warn({ kind: item.kind, name: item.object.metadata.name, namespace: item.object.metadata.namespace, bytes, limit }, 'object too large for a snapshot message, left out');
        },
      },
    );
    this.requestResync();
  }

  stop(): void {
    this.counters.leader.set(0);
    this.lifecycles.emit = false;
    this.fanout.publish = null;
    this.snapshotSub?.unsubscribe();
    this.snapshotSub = null;
  }
}
