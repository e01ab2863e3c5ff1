import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Bus, RESYNC_SUBJECT, slotOf, type DecodedEvent } from '@virtsim/bus';
import { CoordinatorClient, type SlotAssignment } from '@virtsim/coordinator';
import { ApiError, KubeClient, NODES, Writer, collectionPath, type KubeObject } from '@virtsim/kube';
import type { PlanContext } from '@virtsim/stages';
import { createLogger, createRegistry, startOpsEndpoint, type Logger, type OpsEndpoint } from '@virtsim/telemetry';
import { LeaseKeeper } from './lease-keeper.ts';
import { NodePool, type NodePoolConfig } from './node-pool.ts';
import { fileStages, watchClusterStages } from './stage-source.ts';
import { eligibleStages } from './handler-role.ts';
import { PodAddressBook } from './pod-addresses.ts';
import { StageRunner, entryKey } from './stage-runner.ts';

const tracer = trace.getTracer('virtsim-node-agent');

export interface AgentOptions {
  /** Omitted: $KUBECONFIG, ~/.kube/config or the pod's service account. */
  kubeconfig?: string;
  natsUrl: string;
  /** host:port of the coordinator. */
  coordinator: string;
  identity?: string;
  pool: NodePoolConfig;
  /** Stage files or folders (KWOK Stage YAML). */
  stagePaths: string[];
  /**
   * Play the Stage objects of the cluster instead of files, reloaded on every change (a change
   * that does not validate is refused and logged; the last good set stays in force).
   */
  stagesFromCluster?: boolean;
  metricsHost?: string;
  metricsPort?: number;
  writeConcurrency?: number;
  leaseDurationSeconds?: number;
  /** Address NodeIP renders to. */
  nodeIP?: string;
  log?: Logger;
}

export interface RunningAgent {
  identity: string;
  ops: OpsEndpoint;
  runner: StageRunner;
  leases: LeaseKeeper;
  readonly slots: number[];
  close(): Promise<void>;
}

/**
 * A node agent: joins the coordinator, and for the slots it is given subscribes to their events,
 * takes a snapshot, registers and heartbeats their pool nodes, and plays every object on them
 * through the stages. On losing slots it stops acting on them before the revoke is acknowledged.
 */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const identity = opts.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  const log = opts.log ?? createLogger('node-agent', { identity });
  const registry = createRegistry('node-agent');
  const pool = new NodePool(opts.pool);
  const client = await KubeClient.fromFileOrDefault(opts.kubeconfig, { userAgent: `virtsim-node-agent/${identity}`, maxSockets: opts.writeConcurrency ?? 32 });
  const stageSource = opts.stagesFromCluster ? await watchClusterStages(client, log, () => runner.replanAll()) : await fileStages(opts.stagePaths);
  log.info(
    { stages: stageSource.current().stages.length, source: opts.stagesFromCluster ? 'cluster' : opts.stagePaths, pool: pool.config.name, nodes: pool.size },
    'stages loaded',
  );

  const abort = new AbortController();
  const writer = new Writer(client, { concurrency: opts.writeConcurrency ?? 32, log, registry, signal: abort.signal });
  const leases = new LeaseKeeper({ client, writer, identity, log, registry, durationSeconds: opts.leaseDurationSeconds });
  const addresses: PodAddressBook = new PodAddressBook((name) => runner.get('Node', name), opts.nodeIP ?? '10.0.0.1');
  /** The slots this agent acts on now. */
  const owned = new Set<number>();
  // One context for every plan: the stages read the time themselves, the rest does not change.
  const planContext: PlanContext = {
    env: { nodeIP: opts.nodeIP ?? '10.0.0.1', getNode: (name) => runner.get('Node', name), ipPools: addresses.pools },
    funcs: addresses.templateFuncs(),
    eligible: eligibleStages((node) => pool.has(node) && owned.has(slotOf(node))),
  };
  const runner: StageRunner = new StageRunner({
    stages: stageSource.current,
    writer,
    log,
    registry,
    component: 'virtsim-node-agent',
    planContext: () => planContext,
  });

  const lag = new Histogram({
    name: 'virtsim_agent_fanout_lag_seconds',
    help: 'From the watcher receiving a change to this agent receiving it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const ignored = new Counter({ name: 'virtsim_agent_events_ignored_total', help: 'Events not acted on, by reason', labelNames: ['reason'], registers: [registry] });
  new Gauge({ name: 'virtsim_agent_slots_owned', help: 'Slots this agent acts on', registers: [registry], collect() { this.set(owned.size); } });

  const trackPodIPs = (kind: string, type: string, obj: KubeObject) => {
    if (kind === 'Pod') addresses.track(type, obj);
  };

  const bus = await Bus.connect({ servers: opts.natsUrl, name: `agent-${identity}`, log });
  let outsidePoolLogged = 0;
  /**
   * Events of slots just gained wait until the slot's snapshot is merged (the informer's rule:
   * no action before the first sync), so a pod or VMI is never played before its node is known.
   */
  const syncing = new Map<number, DecodedEvent[]>();
  const onEvent = (ev: DecodedEvent) => {
    if (!owned.has(ev.slot)) return void ignored.inc({ reason: 'slot_not_owned' });
    const waiting = syncing.get(ev.slot);
    if (waiting) return void waiting.push(ev);
    handleEvent(ev);
  };
  const handleEvent = (ev: DecodedEvent) => {
    if (!pool.has(ev.node)) {
      ignored.inc({ reason: 'node_outside_pool' });
      // Logged, but not once per event of a busy foreign node.
      if (outsidePoolLogged++ % 1000 === 0) log.warn({ kind: ev.kind, object: ev.object.metadata.name, node: ev.node }, 'object on a node outside the pool ignored');
      return;
    }
    lag.observe(Math.max(0, Date.now() - ev.receivedAt) / 1000);
    // The NATS hop, joined to the watcher's trace through the traceparent header.
    const span = tracer.startSpan('event received', { attributes: { 'k8s.kind': ev.kind, 'k8s.object': ev.object.metadata.name, 'event.type': ev.type, 'virtsim.slot': ev.slot } }, ev.traceContext);
    trackPodIPs(ev.kind, ev.type, ev.object as KubeObject);
    if (ev.type === 'DELETED') runner.forget(ev.kind, ev.object as KubeObject);
    else runner.observe(ev.kind, ev.object as KubeObject, ev.slot, trace.setSpan(ev.traceContext, span));
    span.end();
  };
  const subscriber = bus.subscribeSlots({
    onEvent,
    onBadMessage: (err) => {
      ignored.inc({ reason: err.code === 'too_large' ? 'too_large' : 'bad_message' });
      log.warn({ subject: err.subject, reason: err.reason }, 'bad event message skipped');
    },
  });

  /** Reads the current objects of `slots` and merges them by resourceVersion; false if it failed. */
  const resync = async (slots: number[]): Promise<boolean> => {
    if (!slots.length) return true;
    const requestedAt = Date.now();
    let items;
    try {
      items = await bus.requestSnapshot(slots, { timeoutMs: 30_000 });
    } catch (err) {
      log.warn({ slots: slots.length, err: String(err) }, 'snapshot failed; will retry');
      setTimeout(() => void resync(slots.filter((s) => owned.has(s))), 1000).unref();
      return false;
    }
    const present = new Set<string>();
    let taken = 0;
    for (const it of items) {
      const slot = slotOf(it.node);
      if (!owned.has(slot) || !pool.has(it.node)) continue;
      present.add(entryKey(it.kind, it.object as KubeObject));
      trackPodIPs(it.kind, 'ADDED', it.object as KubeObject);
      runner.observe(it.kind, it.object as KubeObject, slot);
      taken++;
    }
    // Objects held but absent from the snapshot, and not seen since we asked, were deleted.
    for (const gone of runner.staleIn(new Set(slots), requestedAt, present)) {
      trackPodIPs(gone.kind, 'DELETED', gone.obj);
      runner.forget(gone.kind, gone.obj);
    }
    log.info({ slots: slots.length, objects: taken }, 'snapshot merged');
    return true;
  };

  const registerNodes = async (nodes: string[]) => {
    await Promise.all(
      nodes.map(async (name) => {
        try {
          await writer.write({ key: name, resource: 'nodes', method: 'POST', path: collectionPath(NODES), body: pool.nodeObject(name) });
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 409)) log.warn({ node: name, err: String(err) }, 'node registration failed');
        }
      }),
    );
  };

  const onAssignment = async (a: SlotAssignment) => {
    const keep = new Set(a.slots);
    const lost = [...owned].filter((s) => !keep.has(s));
    const gained = a.slots.filter((s) => !owned.has(s));
    if (lost.length) {
      const lostSet = new Set(lost);
      for (const s of lost) {
        owned.delete(s);
        syncing.delete(s);
      }
      subscriber.remove(lost);
      await runner.dropSlots(lostSet);
      const nodes = pool.nodesOfSlots(lost);
      // Fenced (coordinator lost): our slots may be someone else's already, so no more writes;
      // the leases expire on their own. Otherwise hand them back so the next owner need not wait.
      if (a.lost) leases.forget(nodes);
      else await leases.release(nodes);
    }
    if (gained.length) {
      for (const s of gained) {
        owned.add(s);
        syncing.set(s, []);
      }
      // Subscribe first, then snapshot: nothing published in between is missed. What arrives
      // meanwhile is held and played after the snapshot (a failed snapshot is retried in the
      // background; the held events are played all the same).
      subscriber.add(gained);
      await resync(gained);
      for (const s of gained) {
        const held = syncing.get(s) ?? [];
        syncing.delete(s);
        for (const ev of held) if (owned.has(ev.slot)) handleEvent(ev);
      }
      // Nodes of the pool that do not exist yet are registered; their stages start on the event.
      const nodes = pool.nodesOfSlots(gained);
      await registerNodes(nodes.filter((n) => !runner.get('Node', n)));
      leases.own(nodes);
    }
    log.info({ epoch: a.epoch, slots: owned.size, gained: gained.length, lost: lost.length, revoking: a.revoking.length, fenced: a.lost }, 'assignment applied');
  };

  // The watcher asks for a resync when events may have been missed; so does our own reconnect.
  bus.nc.subscribe(RESYNC_SUBJECT, { callback: () => void resync([...owned]) });
  void (async () => {
    for await (const s of bus.nc.status()) if (s.type === 'reconnect') void resync([...owned]);
  })();

  const coordinator = new CoordinatorClient({ address: opts.coordinator, agentId: identity, log, onAssignment });
  await coordinator.start();

  const ops = await startOpsEndpoint({
    registry,
    host: opts.metricsHost,
    port: opts.metricsPort ?? 0,
    health: () => (!bus.connected ? 'NATS disconnected' : !coordinator.member ? 'not a member of the fleet' : null),
  });
  log.info({ metrics: `${ops.url}/metrics`, coordinator: opts.coordinator }, 'agent started');

  return {
    identity,
    ops,
    runner,
    leases,
    get slots() {
      return [...owned].sort((x, y) => x - y);
    },
    async close() {
      // Stop acting first (no two owners), hand the leases back, then leave: the coordinator
      // gives our slots to others only after we no longer touch them.
      subscriber.close();
      owned.clear();
      // Writes still in flight (a lease hand-back to an API server that is gone) get 5 s, not forever.
      const giveUp = setTimeout(() => abort.abort(), 5000);
      await runner.stop();
      await stageSource.stop();
      await leases.stop(true);
      await coordinator.leave().catch((err) => log.warn({ err: String(err) }, 'leave failed'));
      clearTimeout(giveUp);
      abort.abort();
      await coordinator.close();
      await bus.close();
      client.close();
      await ops.close();
    },
  };
}
