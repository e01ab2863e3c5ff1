import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { context, trace, type Context } from '@opentelemetry/api';
import { Bus, type NatsAuth } from '@virtsim/bus';
import {
  Informer,
  KubeClient,
  LeaderElector,
  keyOf,
  objectProblem,
  NODES,
  PODS,
  POOL_LABEL,
  VMIMS,
  VMIS,
  type KubeObject,
  type ResourceRef,
  type WatchEventType,
} from '@virtsim/kube';
import { createLogger, createRegistry, startOpsEndpoint, traceSampleRatio, type Logger, type OpsEndpoint } from '@virtsim/telemetry';
import { Fanout } from './fanout.ts';
import { retained } from './retained.ts';
import { LeaderDuties } from './leader-duties.ts';
import { MigrationSourcePods } from './migration-source-pods.ts';
import { LifecycleTracer, lastWriter } from './lifecycle-tracer.ts';
import { registerCacheGauges, registerWatcherCounters, type WatcherCounters } from './watcher-metrics.ts';

export interface WatcherOptions {
  /** Omitted: $KUBECONFIG, ~/.kube/config or the pod's service account. */
  kubeconfig?: string;
  natsUrl: string;
  /** NATS credentials and TLS (readNatsAuth from @virtsim/bus); none: plaintext, no auth. */
  natsAuth?: NatsAuth;
  identity?: string;
  /** Label selector of the Nodes the fleet manages. */
  nodeSelector?: string;
  leaseNamespace?: string;
  leaseName?: string;
  /** How long a crashed leader blocks its standby (default 5 s; renewed every second). */
  leaseDurationSeconds?: number;
  metricsHost?: string;
  metricsPort?: number;
  log?: Logger;
}

export interface RunningWatcher {
  identity: string;
  ops: OpsEndpoint;
  readonly isLeader: boolean;
  close(): Promise<void>;
}

const tracer = trace.getTracer('virtsim-watcher');

/** Who wrote each object last (managedFields' newest manager), kept for the lifecycle traces. */
const writers = new WeakMap<KubeObject, string>();

/** Drops managedFields: large, never read by the fleet, and copied into every NATS message. */
function strip(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields) {
    const w = lastWriter(obj);
    if (w) writers.set(obj, w);
    delete obj.metadata.managedFields;
  }
  return obj;
}

/** An object the fleet cannot route or play is counted and logged once per version, not published. */
function skipMalformed(kind: string, type: WatchEventType, obj: KubeObject, counters: WatcherCounters, log: Logger): boolean {
  const problem = objectProblem(kind, obj);
  if (!problem) return false;
  counters.skipped.inc({ kind, reason: 'malformed' });
  log.warn({ kind, type, object: keyOf(obj), problem }, 'malformed object skipped');
  return true;
}

/** Routes one event; an error is counted and logged, since thrown back into the informer it would relist into the same object forever. */
function routeGuarded(kind: string, obj: KubeObject, counters: WatcherCounters, log: Logger, route: () => void): void {
  try {
    route();
  } catch (err) {
    counters.skipped.inc({ kind, reason: 'error' });
    log.error({ kind, object: keyOf(obj), err }, 'event not routed: unexpected error, object skipped');
  }
}

/** The trace an event belongs to: its VMI's or migration's lifecycle (a launcher pod serves its VMI's current phase). */
function traceParentOf(lifecycles: LifecycleTracer, kind: string, type: WatchEventType, obj: KubeObject, now: number): Context {
  if (kind === VMIS.kind || kind === VMIMS.kind) return lifecycles.observe(kind, type, obj, now, writers.get(obj));
  if (kind === PODS.kind) return lifecycles.contextOf(obj.metadata.labels?.['kubevirt.io/created-by']) ?? context.active();
  return context.active();
}

/**
 * The watcher: one list+watch per resource, each change published to the slot of the object's
 * node; snapshots served from the same index. Of several replicas, the Lease leader publishes and
 * serves; standbys keep their informers warm and take over when the lease expires.
 */
export async function startWatcher(opts: WatcherOptions): Promise<RunningWatcher> {
  const identity = opts.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  const log = opts.log ?? createLogger('watcher', { identity });
  const registry = createRegistry('watcher');
  const counters = registerWatcherCounters(registry);

  const client = await KubeClient.fromFileOrDefault(opts.kubeconfig, { userAgent: `virtsim-watcher/${identity}` });
  const bus = await Bus.connect({ servers: opts.natsUrl, name: `watcher-${identity}`, auth: opts.natsAuth, log });

  const informers = new Map<string, Informer>();
  const sourcePods = new MigrationSourcePods();
  const lookupVmi = (ns: string, name: string) => informers.get('VirtualMachineInstance')?.store.get(`${ns}/${name}`);
  const fanout = new Fanout(lookupVmi, {
    published: (kind, type) => counters.published.inc({ kind, type }),
    unrouted: (kind) => counters.unrouted.inc({ kind }),
  });
  // One trace per VMI and migration; the sampling ratio is the process's (OTEL_TRACES_SAMPLER_ARG).
  const lifecycles = new LifecycleTracer(tracer, traceSampleRatio());
  registerCacheGauges(registry, fanout, lifecycles, informers);

  const watch = (ref: ResourceRef, selectors: { labelSelector?: string; fieldSelector?: string } = {}) => {
    const inf = new Informer(client, {
      resource: ref,
      ...selectors,
      transform: strip,
      // The whole object is kept once, by the fanout, as JSON text.
      retain: retained,
      log,
      onEvent: (type, obj, text) => {
        counters.received.inc({ kind: ref.kind, type });
        if (skipMalformed(ref.kind, type, obj, counters, log)) return;
        const now = Date.now();
        const parent = traceParentOf(lifecycles, ref.kind, type, obj, now);
        // The watch line's own text is what NATS carries, unless it had managedFields to strip.
        const json = text !== undefined && !text.includes('"managedFields"') ? text : undefined;
        const span = tracer.startSpan('watch event', { attributes: { 'k8s.kind': ref.kind, 'k8s.object': obj.metadata.name, 'event.type': type } }, parent);
        routeGuarded(ref.kind, obj, counters, log, () => {
          // A VMI of a KubeVirt that does not name its migration's source pod goes out with it named.
          const named = sourcePods.observe(ref.kind, type, obj);
          context.with(trace.setSpan(parent, span), () => (named ? fanout.onEvent(ref.kind, type, named, now) : fanout.onEvent(ref.kind, type, obj, now, json)));
        });
        span.end();
      },
      onSynced: (rv) => log.info({ kind: ref.kind, resourceVersion: rv }, 'listed'),
    });
    informers.set(ref.kind, inf);
  };
  watch(NODES, { labelSelector: opts.nodeSelector ?? POOL_LABEL });
  watch(PODS, { fieldSelector: 'spec.nodeName!=' });
  // VMIs first in the map, so a migration's VMI is known when the migration is routed.
  watch(VMIS);
  watch(VMIMS);

  const duties = new LeaderDuties(bus, fanout, lifecycles, counters, log);
  const elector = new LeaderElector(client, {
    namespace: opts.leaseNamespace ?? 'kube-system',
    name: opts.leaseName ?? 'virtsim-watcher',
    identity,
    leaseDurationSeconds: opts.leaseDurationSeconds ?? 5,
    renewIntervalMs: 1000,
    log,
    onStartedLeading: () => duties.start(),
    onStoppedLeading: () => duties.stop(),
  });

  // Core NATS drops what is published while disconnected: after a reconnect, agents resync.
  void (async () => {
    for await (const s of bus.nc.status()) {
      if (s.type === 'reconnect' && elector.isLeader) duties.requestResync();
    }
  })();

  for (const inf of informers.values()) inf.start();
  elector.start();

  const ops = await startOpsEndpoint({
    registry,
    host: opts.metricsHost,
    port: opts.metricsPort ?? 0,
    health: () => (bus.connected ? null : 'NATS disconnected'),
  });
  log.info({ metrics: `${ops.url}/metrics`, nats: opts.natsUrl }, 'watcher started');

  return {
    identity,
    ops,
    get isLeader() {
      return elector.isLeader;
    },
    async close() {
      await elector.stop();
      await Promise.all([...informers.values()].map((i) => i.stop()));
      await bus.close();
      client.close();
      await ops.close();
    },
  };
}
