import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { KubeClient, LeaderElector, NODES, PODS, VMIMS, VMIS, VMS, Writer } from '@virtsim/kube';
import { createLogger, createRegistry, startOpsEndpoint, type Logger, type OpsEndpoint } from '@virtsim/telemetry';
import { Gauge } from 'prom-client';
import type { Caches, ControllerContext } from './context.ts';
import { nodeFacts } from './node-facts.ts';
import { ObjectCache } from './object-cache.ts';
import { podCacheFacts } from './pod-cache-facts.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { EvictionInterceptor } from './virt-api/eviction-interceptor.ts';
import { VirtApi } from './virt-api/virt-api.ts';
import { EvacuationController } from './virt-controller/evacuation-controller.ts';
import { MigrationController } from './virt-controller/migration-controller.ts';
import { PerfscaleMetrics } from './virt-controller/perfscale-metrics.ts';
import { VmController } from './virt-controller/vm-controller.ts';
import { VmiController } from './virt-controller/vmi-controller.ts';

export const COMPONENTS = ['scheduler', 'virt-api', 'virt-controller'] as const;
export type Component = (typeof COMPONENTS)[number];

export const DEFAULT_CONCURRENCY = 512;

export const DEFAULT_LAUNCHER_IMAGE = 'quay.io/kubevirt/virt-launcher:v1.9.0';

export interface ControlPlaneOptions {
  kubeconfig: string;
  components?: Component[];
  identity?: string;
  leaseNamespace?: string;
  concurrency?: number;
  launcherImage?: string;
  /**
   * Serve virt-api's pods/eviction webhook on loopback and register it (Service, Endpoints,
   * ValidatingWebhookConfiguration). Only useful where the API server can reach 127.0.0.1: the
   * embedded one (`virtsim up` turns it on there).
   */
  evictionWebhook?: boolean;
  metricsHost?: string;
  metricsPort?: number;
  log?: Logger;
}

export interface RunningControlPlane {
  identity: string;
  ops: OpsEndpoint;
  readonly isLeader: boolean;
  close(): Promise<void>;
}

interface Controller {
  start(): void;
  stop(): void | Promise<void>;
}

/**
 * The control-plane stand-ins in one process. Informers start at once (a standby stays warm);
 * the controllers run only while this replica holds the Lease, and start from the listed state,
 * so a restart or a takeover resumes every unfinished transition (level-triggered).
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<RunningControlPlane> {
  const identity = opts.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  const components = new Set<Component>(opts.components ?? COMPONENTS);
  const log = opts.log ?? createLogger('control-plane', { identity });
  const registry = createRegistry('control-plane');
  // ~5 writes per VMI, each waiting for the API server's group-commit fsync (50-150 ms on a busy
  // disk): 200 VMIs/s needs ~150 writes in flight, more while a backlog drains.
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const client = await KubeClient.fromFile(opts.kubeconfig, { userAgent: `virtsim-control-plane/${identity}`, maxSockets: concurrency + 16 });
  const abort = new AbortController();
  const writer = new Writer(client, { concurrency, log, registry, signal: abort.signal });

  const caches: Caches = {
    nodes: new ObjectCache(client, NODES, log, nodeFacts),
    pods: new ObjectCache(client, PODS, log, podCacheFacts),
    vmis: new ObjectCache(client, VMIS, log),
    vms: new ObjectCache(client, VMS, log),
    vmims: new ObjectCache(client, VMIMS, log),
  };
  new Gauge({
    name: 'virtsim_control_plane_objects_cached',
    help: 'Objects in the informer caches',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const c of Object.values(caches)) this.set({ kind: c.ref.kind }, c.size);
    },
  });
  const leaderGauge = new Gauge({ name: 'virtsim_control_plane_leader', help: '1 while this replica holds the leader Lease and runs the controllers', registers: [registry] });
  const ctx: ControllerContext = { client, writer, caches, log, registry, launcherImage: opts.launcherImage ?? DEFAULT_LAUNCHER_IMAGE };

  const controllers: Controller[] = [];
  if (components.has('scheduler')) controllers.push(new Scheduler({ pods: caches.pods, nodes: caches.nodes, writer, log, registry }));
  if (components.has('virt-api')) controllers.push(new VirtApi(ctx));
  if (components.has('virt-api') && opts.evictionWebhook) controllers.push(new EvictionInterceptor(ctx));
  if (components.has('virt-controller')) controllers.push(new VmiController(ctx), new VmController(ctx), new MigrationController(ctx), new EvacuationController(ctx), new PerfscaleMetrics(ctx));

  // Only the caches the chosen components read: the scheduler alone needs no KubeVirt CRDs.
  const needed = new Set<keyof Caches>();
  if (components.has('scheduler')) needed.add('nodes').add('pods');
  if (components.has('virt-api')) needed.add('vmis').add('vmims');
  if (components.has('virt-controller')) for (const k of Object.keys(caches) as Array<keyof Caches>) needed.add(k);
  const used = [...needed].map((k) => caches[k]);
  for (const c of used) c.start();
  const allSynced = () => used.every((c) => c.synced);

  let running = false;
  let stopping = false;
  const startControllers = async () => {
    while (!allSynced() && !stopping) await new Promise((r) => setTimeout(r, 20));
    if (stopping || running) return;
    running = true;
    leaderGauge.set(1);
    for (const c of controllers) c.start();
    log.info({ components: [...components] }, 'controllers started');
  };
  const elector = new LeaderElector(client, {
    namespace: opts.leaseNamespace ?? 'kube-system',
    name: 'virtsim-control-plane',
    identity,
    log,
    onStartedLeading: () => void startControllers(),
    onStoppedLeading: () => {
      if (stopping) return;
      // As kube-controller-manager does: a replica that lost its lease exits and is restarted warm.
      log.error('lost the leader lease, exiting');
      process.exit(1);
    },
  });
  elector.start();

  const ops = await startOpsEndpoint({
    registry,
    host: opts.metricsHost,
    port: opts.metricsPort ?? 0,
    health: () => (allSynced() ? null : 'informers not synced'),
  });
  log.info({ metrics: ops.url, identity, components: [...components] }, 'control-plane started');

  return {
    identity,
    ops,
    get isLeader() {
      return elector.isLeader;
    },
    async close() {
      stopping = true;
      // Writes stop retrying first, so a queue waiting on an unreachable API still drains.
      abort.abort();
      for (const c of controllers) await c.stop();
      await elector.stop();
      await Promise.all(used.map((c) => c.stop()));
      await ops.close();
      client.close();
    },
  };
}
