import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { Bus, RESYNC_SUBJECT, slotOf, type DecodedEvent, type NatsAuth, type SlotSubscriber } from '@virtsim/bus';
import { CoordinatorClient, type ClientTls } from '@virtsim/fleet-proto';
import { StatusError, KubeClient, NODES, Writer, collectionPath, keyOf, objectProblem, type KubeObject } from '@virtsim/kube';
import type { PlanContext } from '@virtsim/stages';
import { createLogger, createRegistry, startOpsEndpoint, type Logger, type OpsEndpoint } from '@virtsim/telemetry';
import { registerAgentMetrics, type AgentMetrics } from './agent-metrics.ts';
import { eligibleStages } from './handler-role.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { NodePool, type NodePoolConfig } from './node-pool.ts';
import { PodAddressBook } from './pod-addresses.ts';
import { SlotOwnership, type SlotFeed, type SlotNodes, type SlotObjects } from './slot-ownership.ts';
import { StageRunner } from './stage-runner.ts';
import { fileStages, watchClusterStages, type StageSource } from './stage-source.ts';

const tracer = trace.getTracer('virtsim-node-agent');

export interface AgentOptions {
  /** Omitted: $KUBECONFIG, ~/.kube/config or the pod's service account. */
  kubeconfig?: string;
  natsUrl: string;
  /** NATS credentials and TLS (readNatsAuth from @virtsim/bus); none: plaintext, no auth. */
  natsAuth?: NatsAuth;
  /** host:port of the coordinator. */
  coordinator: string;
  /** TLS, or mTLS with a client certificate, to the coordinator; plaintext without. */
  coordinatorTls?: ClientTls;
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
  /** Parallel API writes per lane (stage writes; Lease renewals have a lane of their own). */
  writeConcurrency?: number;
  leaseDurationSeconds?: number;
  /** Address NodeIP renders to. */
  nodeIP?: string;
  log?: Logger;
}

/** AgentOptions checked, with every default filled in. */
export interface AgentConfig extends AgentOptions {
  identity: string;
  metricsPort: number;
  writeConcurrency: number;
  nodeIP: string;
  log: Logger;
}

export interface RunningAgent {
  identity: string;
  ops: OpsEndpoint;
  runner: StageRunner;
  leases: LeaseKeeper;
  readonly slots: number[];
  close(): Promise<void>;
}

/** Checks `opts` and fills in the defaults; a bad option is an error naming it. */
export function agentConfig(opts: AgentOptions): AgentConfig {
  const bad = (field: string, reason: string, value: unknown) => new Error(`node agent: ${field} ${reason}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  if (!opts.natsUrl) throw bad('natsUrl', 'is required (the NATS server URL)', opts.natsUrl);
  if (!opts.coordinator) throw bad('coordinator', 'is required (host:port of the coordinator)', opts.coordinator);
  const isInt = (v: number, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && v >= min && v <= max;
  if (opts.writeConcurrency !== undefined && !isInt(opts.writeConcurrency, 1)) throw bad('writeConcurrency', 'must be a positive integer', opts.writeConcurrency);
  if (opts.metricsPort !== undefined && !isInt(opts.metricsPort, 0, 65535)) throw bad('metricsPort', 'must be a port number (0 picks a free one)', opts.metricsPort);
  if (opts.leaseDurationSeconds !== undefined && !(opts.leaseDurationSeconds > 0)) throw bad('leaseDurationSeconds', 'must be a positive number', opts.leaseDurationSeconds);
  const identity = opts.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  return {
    ...opts,
    identity,
    metricsPort: opts.metricsPort ?? 0,
    // Every write waits for the API server's group-commit fsync (50-100 ms on a busy disk): at 32
    // in flight an agent managed ~320 writes/s, less than its 5,000 Leases' 500 renewals/s.
    writeConcurrency: opts.writeConcurrency ?? 128,
    nodeIP: opts.nodeIP ?? '10.0.0.1',
    log: opts.log ?? createLogger('node-agent', { identity }),
  };
}

/**
 * A node agent: joins the coordinator, and for the slots it is given subscribes to their events,
 * takes a snapshot, registers and heartbeats their pool nodes, and plays every object on them
 * through the stages (SlotOwnership does the slot moves). On losing slots it stops acting on
 * them before the revoke is acknowledged.
 *
 * Built as KWOK builds its controllers: a checked config, then one small init step per part
 * (start() runs them in order); close() stops them in the order that keeps one owner per slot.
 */
export class Agent implements RunningAgent {
  readonly identity: string;
  readonly config: AgentConfig;
  private readonly log: Logger;
  private readonly registry: Registry = createRegistry('node-agent');
  private readonly pool: NodePool;
  private readonly ownership: SlotOwnership;
  /** Aborts writes still in flight at shutdown. */
  private readonly abort = new AbortController();
  private metrics!: AgentMetrics;
  private client!: KubeClient;
  private leaseClient!: KubeClient;
  private stageSource!: StageSource;
  private writer!: Writer;
  private leaseKeeper!: LeaseKeeper;
  private addresses!: PodAddressBook;
  private stageRunner!: StageRunner;
  private bus!: Bus;
  private subscriber!: SlotSubscriber;
  private coordinator!: CoordinatorClient;
  private opsEndpoint!: OpsEndpoint;
  private outsidePoolLogged = 0;

  constructor(opts: AgentOptions) {
    this.config = agentConfig(opts);
    this.identity = this.config.identity;
    this.log = this.config.log;
    this.pool = new NodePool(this.config.pool);
    this.ownership = new SlotOwnership({
      pool: this.pool,
      feed: this.slotFeed(),
      objects: this.slotObjects(),
      nodes: this.slotNodes(),
      log: this.log,
      onIgnored: (reason) => this.metrics.ignored.inc({ reason }),
    });
  }

  get ops(): OpsEndpoint {
    return this.opsEndpoint;
  }

  get runner(): StageRunner {
    return this.stageRunner;
  }

  get leases(): LeaseKeeper {
    return this.leaseKeeper;
  }

  get slots(): number[] {
    return this.ownership.slots;
  }

  /** Starts every part; resolves once the agent is a member of the fleet and serves /metrics. */
  async start(): Promise<void> {
    this.metrics = registerAgentMetrics(this.registry, () => this.ownership.size);
    await this.initKube();
    await this.initStages();
    this.initRunner();
    await this.initBus();
    await this.joinCoordinator();
    await this.initOps();
  }

  private async initKube(): Promise<void> {
    const { kubeconfig, identity, writeConcurrency } = this.config;
    const userAgent = `virtsim-node-agent/${identity}`;
    this.client = await KubeClient.fromFileOrDefault(kubeconfig, { userAgent, maxSockets: writeConcurrency + 8 }); // + watches and reads beside the writes
    // Fencing at the last moment: after a pause past the TTL no write goes out, not even one a
    // timer that fired on waking had already planned (its slots may be another agent's now).
    const gate = () => (this.coordinator && !this.coordinator.mayAct() ? 'fenced: no heartbeat accepted within the coordinator TTL' : undefined);
    this.writer = new Writer(this.client, { concurrency: writeConcurrency, log: this.log, registry: this.registry, signal: this.abort.signal, gate });
    // Lease renewals get a lane (client, connections, concurrency) of their own, as the kubelet's
    // heartbeat client: sharing one, 500 renewals a second took the slots that pod and VMI
    // transitions waited for whenever the API server slowed down (queues of 600-850 writes).
    this.leaseClient = await KubeClient.fromFileOrDefault(kubeconfig, { userAgent, maxSockets: writeConcurrency + 2 });
    const leaseWriter = new Writer(this.leaseClient, { concurrency: writeConcurrency, lane: 'heartbeat', log: this.log, registry: this.registry, signal: this.abort.signal, gate });
    this.leaseKeeper = new LeaseKeeper({ client: this.leaseClient, writer: leaseWriter, identity, log: this.log, registry: this.registry, durationSeconds: this.config.leaseDurationSeconds });
  }

  private async initStages(): Promise<void> {
    const { stagesFromCluster, stagePaths } = this.config;
    // A change of the cluster's stages re-plans every object (once the runner exists).
    this.stageSource = stagesFromCluster ? await watchClusterStages(this.client, this.log, () => this.stageRunner?.replanAll()) : await fileStages(stagePaths);
    this.log.info(
      { stages: this.stageSource.current().stages.length, source: stagesFromCluster ? 'cluster' : stagePaths, pool: this.pool.config.name, nodes: this.pool.size },
      'stages loaded',
    );
  }

  private initRunner(): void {
    const getNode = (name: string) => this.stageRunner.get('Node', name);
    this.addresses = new PodAddressBook(getNode, this.config.nodeIP);
    // One context for every plan: the stages read the time themselves, the rest does not change.
    const planContext: PlanContext = {
      env: { nodeIP: this.config.nodeIP, getNode, ipPools: this.addresses.pools },
      funcs: this.addresses.templateFuncs(),
      eligible: eligibleStages((node) => this.pool.has(node) && this.ownership.has(slotOf(node))),
    };
    this.stageRunner = new StageRunner({
      stages: this.stageSource.current,
      writer: this.writer,
      log: this.log,
      registry: this.registry,
      component: 'virtsim-node-agent',
      planContext: () => planContext,
    });
  }

  private async initBus(): Promise<void> {
    this.bus = await Bus.connect({ servers: this.config.natsUrl, name: `agent-${this.identity}`, auth: this.config.natsAuth, log: this.log });
    this.subscriber = this.bus.subscribeSlots({
      onEvent: (ev) => this.ownership.onEvent(ev),
      onBadMessage: (err) => {
        this.metrics.ignored.inc({ reason: err.code === 'too_large' ? 'too_large' : 'bad_message' });
        this.log.warn({ subject: err.subject, reason: err.reason }, 'bad event message skipped');
      },
    });
    // The watcher asks for a resync when events may have been missed; so does our own reconnect.
    this.bus.nc.subscribe(RESYNC_SUBJECT, { callback: () => void this.ownership.resync() });
    void (async () => {
      for await (const s of this.bus.nc.status()) if (s.type === 'reconnect') void this.ownership.resync();
    })();
  }

  private async joinCoordinator(): Promise<void> {
    this.coordinator = new CoordinatorClient({
      address: this.config.coordinator,
      agentId: this.identity,
      tls: this.config.coordinatorTls,
      log: this.log,
      onAssignment: async (a) => void (await this.ownership.apply(a)),
    });
    await this.coordinator.start();
  }

  private async initOps(): Promise<void> {
    this.opsEndpoint = await startOpsEndpoint({
      registry: this.registry,
      host: this.config.metricsHost,
      port: this.config.metricsPort,
      health: () => (!this.bus.connected ? 'NATS disconnected' : !this.coordinator.member ? 'not a member of the fleet' : null),
    });
    this.log.info({ metrics: `${this.opsEndpoint.url}/metrics`, coordinator: this.config.coordinator }, 'agent started');
  }

  /** The bus as SlotOwnership sees it. */
  private slotFeed(): SlotFeed {
    return {
      subscribe: (slots) => this.subscriber.add(slots),
      unsubscribe: (slots) => this.subscriber.remove(slots),
      snapshot: (slots) => this.bus.requestSnapshot(slots, { timeoutMs: 30_000 }),
    };
  }

  /** The stage runner and the pod address book as SlotOwnership sees them. */
  private slotObjects(): SlotObjects {
    return {
      play: (ev) => this.play(ev),
      observe: (kind, obj, slot) => {
        this.trackPodIPs(kind, 'ADDED', obj);
        this.stageRunner.observe(kind, obj, slot);
      },
      forget: (kind, obj) => {
        this.trackPodIPs(kind, 'DELETED', obj);
        this.stageRunner.forget(kind, obj);
      },
      staleIn: (slots, before, present) => this.stageRunner.staleIn(slots, before, present),
      dropSlots: (slots) => this.stageRunner.dropSlots(slots),
    };
  }

  /** Node registration and Leases as SlotOwnership sees them. */
  private slotNodes(): SlotNodes {
    return {
      register: (nodes) => this.registerNodes(nodes.filter((n) => !this.stageRunner.get('Node', n))),
      own: (nodes) => this.leaseKeeper.own(nodes),
      release: (nodes) => this.leaseKeeper.release(nodes),
      forget: (nodes) => this.leaseKeeper.forget(nodes),
    };
  }

  /**
   * Acts on an event of an owned, synced slot. An object whose fields the stages or address book
   * cannot read (wrong types from a cluster that did not validate them) is counted and logged
   * with its key; the subscription, and every other object, goes on.
   */
  private play(ev: DecodedEvent): void {
    const where = { kind: ev.kind, object: keyOf(ev.object), node: ev.node, resourceVersion: ev.resourceVersion };
    const problem = objectProblem(ev.kind, ev.object);
    if (problem) {
      this.metrics.ignored.inc({ reason: 'malformed_object' });
      this.log.warn({ ...where, problem }, 'malformed object skipped');
      return;
    }
    try {
      this.playUnchecked(ev);
    } catch (err) {
      this.metrics.ignored.inc({ reason: 'error' });
      this.log.error({ ...where, err }, 'object skipped: unexpected error');
    }
  }

  private playUnchecked(ev: DecodedEvent): void {
    if (!this.pool.has(ev.node)) {
      this.metrics.ignored.inc({ reason: 'node_outside_pool' });
      // Logged, but not once per event of a busy foreign node.
      if (this.outsidePoolLogged++ % 1000 === 0) this.log.warn({ kind: ev.kind, object: ev.object.metadata.name, node: ev.node }, 'object on a node outside the pool ignored');
      return;
    }
    this.metrics.lag.observe(Math.max(0, Date.now() - ev.receivedAt) / 1000);
    // The NATS hop, joined to the watcher's trace through the traceparent header.
    const attributes = { 'k8s.kind': ev.kind, 'k8s.object': ev.object.metadata.name, 'event.type': ev.type, 'virtsim.slot': ev.slot };
    const span = tracer.startSpan('event received', { attributes }, ev.traceContext);
    const obj = ev.object as KubeObject;
    this.trackPodIPs(ev.kind, ev.type, obj);
    if (ev.type === 'DELETED') this.stageRunner.forget(ev.kind, obj);
    else this.stageRunner.observe(ev.kind, obj, ev.slot, trace.setSpan(ev.traceContext, span));
    span.end();
  }

  private trackPodIPs(kind: string, type: string, obj: KubeObject): void {
    if (kind === 'Pod') this.addresses.track(type, obj);
  }

  /** Creates the Node objects of `nodes`; one that exists already (409) is fine. */
  private async registerNodes(nodes: string[]): Promise<void> {
    await Promise.all(
      nodes.map(async (name) => {
        try {
          await this.writer.write({ key: name, resource: 'nodes', method: 'POST', path: collectionPath(NODES), body: this.pool.nodeObject(name) });
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 409)) this.log.warn({ node: name, err }, 'node registration failed');
        }
      }),
    );
  }

  async close(): Promise<void> {
    // Stop acting first (no two owners), hand the leases back, then leave: the coordinator
    // gives our slots to others only after we no longer touch them.
    this.subscriber.close();
    this.ownership.stop();
    // Writes still in flight (a lease hand-back to an API server that is gone) get 5 s, not forever.
    const giveUp = setTimeout(() => this.abort.abort(), 5000);
    await this.stageRunner.stop();
    await this.stageSource.stop();
    await this.leaseKeeper.stop(true);
    await this.coordinator.leave().catch((err) => this.log.warn({ err }, 'leave failed'));
    clearTimeout(giveUp);
    this.abort.abort();
    await this.coordinator.close();
    await this.bus.close();
    this.client.close();
    this.leaseClient.close();
    await this.opsEndpoint.close();
  }
}

/** Starts an agent (see Agent); resolves once it is a member of the fleet. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const agent = new Agent(opts);
  await agent.start();
  return agent;
}
