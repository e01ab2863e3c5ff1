/**
 * The metrics of every Writer of a process, registered once per registry: a process with several
 * write lanes (the node agent's heartbeat lane beside its stage writes) reports them as one set,
 * with each lane's queue apart.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

interface Queue {
  readonly queued: number;
}

export interface WriterMetrics {
  latency: Histogram<'resource' | 'verb'>;
  errors: Counter<'resource' | 'verb' | 'code'>;
  retries: Counter<'resource'>;
  /** Counts this lane's waiting writes in the queue gauge. */
  addQueue(lane: string, queue: Queue): void;
}

const byRegistry = new WeakMap<Registry, WriterMetrics>();

export function writerMetrics(registry: Registry): WriterMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const queues = new Map<string, Queue[]>();
  const metrics: WriterMetrics = {
    latency: new Histogram({
      name: 'virtsim_api_write_duration_seconds',
      help: 'API write latency, one attempt',
      labelNames: ['resource', 'verb'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    errors: new Counter({
      name: 'virtsim_api_write_errors_total',
      help: 'API write attempts that failed, by HTTP code (0 = network)',
      labelNames: ['resource', 'verb', 'code'],
      registers,
    }),
    retries: new Counter({ name: 'virtsim_api_write_retries_total', help: 'API write retries', labelNames: ['resource'], registers }),
    addQueue(lane, queue) {
      queues.set(lane, [...(queues.get(lane) ?? []), queue]);
    },
  };
  new Gauge({
    name: 'virtsim_api_writes_queued',
    help: 'API writes waiting for a concurrency slot, by write lane',
    labelNames: ['lane'],
    registers,
    collect() {
      for (const [lane, qs] of queues) this.set({ lane }, qs.reduce((n, q) => n + q.queued, 0));
    },
  });
  byRegistry.set(registry, metrics);
  return metrics;
}
