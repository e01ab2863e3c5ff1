import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { startNatsServer, type NatsServer } from '@virtsim/testkit/nats-server';
import { startVirtsim, type ServiceProcess } from '@virtsim/testkit/service-process';
import { KubeClient, NODES, PODS, VMIS, collectionPath, type KubeObject } from '@virtsim/kube';

/** KubeVirt's CRDs and KWOK's Stage CRD, as `virtsim up` installs them. */
export const CRDS = fileURLToPath(new URL('../../deploy/crds', import.meta.url));
export const CONTROLLER = 'system:serviceaccount:kubevirt:kubevirt-controller';

export interface Fleet {
  dir: string;
  api: ApiServerHarness;
  nats: NatsServer;
  coordinator: ServiceProcess;
  coordinatorAddress: string;
  watcher: ServiceProcess;
  agents: Map<string, ServiceProcess>;
  client: KubeClient;
  addAgent(id: string): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * The whole fleet as real processes on loopback: the embedded API server with KubeVirt's CRDs,
 * nats-server, `virtsim coordinator`, `virtsim watcher` and N `virtsim agent`s, each logging to
 * a file under `dir` (named in failure messages).
 */
export interface FleetOptions {
  agents: number;
  nodes: number;
  ttlMs?: number;
  leaseSeconds?: number;
  env?: Record<string, string>;
  /** Extra `virtsim agent` flags. */
  agentArgs?: string[];
  /** Extra `virtsim watcher` flags. */
  watcherArgs?: string[];
  /** Extra `virtsim apiserver` flags. */
  apiArgs?: string[];
  /**
   * Runs once the API server has the CRDs, before any service starts; may name the kubeconfig the
   * watcher and the agents use instead of the admin's (a test running them as their service accounts).
   */
  prepare?: (api: ApiServerHarness, dir: string) => Promise<{ watcherKubeconfig?: string; agentKubeconfig?: string } | void>;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), 'virtsim-fleet-'));
  const started: Array<{ stop(): Promise<unknown> }> = [];
  try {
    const api = await startApiServerForTest({ args: opts.apiArgs });
    started.push(api);
    const crds = await api.kubectl(['create', '-f', CRDS]);
    if (crds.code !== 0) throw new Error(`creating the CRDs failed: ${crds.stderr}`);
    const prepared = (await opts.prepare?.(api, dir)) ?? {};
    const nats = await startNatsServer();
    started.push(nats);
    const coordinator = await startVirtsim(
      'coordinator',
      ['coordinator', '--port', '0', '--metrics-port', '0', '--ttl-ms', String(opts.ttlMs ?? 3000), '--settle-ms', '0'],
      (r) => (r.msg === 'coordinator ready' ? r.grpcPort : undefined),
      { logFile: join(dir, 'coordinator.log'), timeoutMs: 60_000 },
    );
    started.push(coordinator);
    const coordinatorAddress = `127.0.0.1:${coordinator.readyValue}`;
    const watcher = await startVirtsim(
      'watcher',
      ['watcher', '--kubeconfig', prepared.watcherKubeconfig ?? api.kubeconfigPath, '--nats', nats.url, '--identity', 'watcher-0', ...(opts.watcherArgs ?? [])],
      (r) => (r.msg === 'watcher started' ? r.metrics : undefined),
      { logFile: join(dir, 'watcher.log'), env: opts.env, timeoutMs: 60_000 },
    );
    started.push(watcher);
    const agents = new Map<string, ServiceProcess>();
    const addAgent = async (id: string) => {
      const a = await startVirtsim(
        id,
        ['agent', '--kubeconfig', prepared.agentKubeconfig ?? api.kubeconfigPath, '--nats', nats.url, '--coordinator', coordinatorAddress, '--identity', id, '--nodes', String(opts.nodes), '--lease-duration-seconds', String(opts.leaseSeconds ?? 40), ...(opts.agentArgs ?? [])],
        (r) => (r.msg === 'agent started' ? r.metrics : undefined),
        { logFile: join(dir, `${id}.log`), env: opts.env, timeoutMs: 60_000 },
      );
      agents.set(id, a);
      return a;
    };
    await Promise.all(Array.from({ length: opts.agents }, (_, i) => addAgent(`agent-${i}`)));
    const client = await KubeClient.fromFile(api.kubeconfigPath);
    const fleet: Fleet = {
      dir,
      api,
      nats,
      coordinator,
      coordinatorAddress,
      watcher,
      agents,
      client,
      addAgent,
      async stop() {
        await Promise.all([...fleet.agents.values()].map((a) => a.stop()));
        // The watcher may have been replaced by a test (restart): stop the current one.
        await fleet.watcher.stop();
        await fleet.coordinator.stop();
        await fleet.nats.stop();
        fleet.client.close();
        await fleet.api.stop();
      },
    };
    return fleet;
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}

export async function list(client: KubeClient, path: string): Promise<KubeObject[]> {
  const r = await client.request<{ items: KubeObject[] }>({ method: 'GET', path });
  return r.items;
}

export const listNodes = (c: KubeClient) => list(c, collectionPath(NODES));
export const listPods = (c: KubeClient) => list(c, collectionPath(PODS));
export const listVmis = (c: KubeClient) => list(c, collectionPath(VMIS));

export const nodeName = (i: number) => `virtsim-node-${String(i).padStart(5, '0')}`;

/**
 * What virt-controller leaves behind for a VMI it scheduled: the launcher pod bound to the node
 * (with the readiness gate virt-controller sets once the domain is unpaused) and the VMI in phase
 * Scheduled, written as virt-controller.
 */
export async function createScheduledVmi(client: KubeClient, name: string, node: string): Promise<void> {
  const ns = 'default';
  const pod = await client.request<KubeObject>({
    method: 'POST',
    path: collectionPath(PODS, ns),
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `virt-launcher-${name}-abcde`, namespace: ns, labels: { 'kubevirt.io': 'virt-launcher', 'vm.kubevirt.io/name': name, 'kubevirt.io/created-by': 'uid' } },
      spec: {
        nodeName: node,
        readinessGates: [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }],
        containers: [{ name: 'compute', image: 'quay.io/kubevirt/virt-launcher:v1.6.0' }],
      },
    },
  });
  await client.request({
    method: 'PATCH',
    path: `${collectionPath(PODS, ns)}/${pod.metadata.name}/status`,
    contentType: 'application/strategic-merge-patch+json',
    body: { status: { conditions: [{ type: 'kubevirt.io/virtual-machine-unpaused', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString() }] } },
    impersonate: { user: CONTROLLER },
  });
  const now = new Date().toISOString();
  await client.request({
    method: 'POST',
    path: collectionPath(VMIS, ns),
    impersonate: { user: CONTROLLER },
    body: {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name, namespace: ns, labels: { 'kubevirt.io/nodeName': node }, finalizers: ['kubevirt.io/virtualMachineControllerFinalize'] },
      spec: {
        domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '128Mi' } } },
        networks: [{ name: 'default', pod: {} }],
        volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
      },
      status: {
        phase: 'Scheduled',
        nodeName: node,
        activePods: { [pod.metadata.uid!]: node },
        phaseTransitionTimestamps: [
          { phase: 'Pending', phaseTransitionTimestamp: now },
          { phase: 'Scheduling', phaseTransitionTimestamp: now },
          { phase: 'Scheduled', phaseTransitionTimestamp: now },
        ],
        qosClass: 'Burstable',
      },
    },
  });
}

/** Records every change of the watched collection from now on, keyed by namespace/name. */
export class Recorder {
  readonly events = new Map<string, Array<{ type: string; object: KubeObject }>>();
  private readonly stopWatch: Promise<void>;
  private readonly abort = new AbortController();

  constructor(client: KubeClient, path: string, fromResourceVersion: string) {
    this.stopWatch = client
      .stream({ path, query: { watch: true, resourceVersion: fromResourceVersion, allowWatchBookmarks: false }, signal: this.abort.signal }, (line) => {
        const ev = JSON.parse(line) as { type: string; object: KubeObject };
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
        const m = ev.object.metadata;
        const key = m.namespace ? `${m.namespace}/${m.name}` : m.name;
        let list = this.events.get(key);
        if (!list) this.events.set(key, (list = []));
        list.push(ev);
      })
      .catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.stopWatch;
  }
}

export async function currentResourceVersion(client: KubeClient, path: string): Promise<string> {
  const r = await client.request<{ metadata: { resourceVersion: string } }>({ method: 'GET', path, query: { limit: 1 } });
  return r.metadata.resourceVersion;
}

/** The Prometheus text of a `/metrics` URL (what the services log at start). */
export async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`GET ${metricsUrl}: ${res.status}`);
  return res.text();
}

/** Sum of a metric's samples whose labels include all of `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Lease handovers must go through a release (holder emptied) or an expiry: a direct change from
 * one live holder to another within the lease duration means two agents heartbeated one node.
 */
export function leaseViolations(rec: Recorder): string[] {
  const out: string[] = [];
  for (const [key, evs] of rec.events) {
    let prev: KubeObject | undefined;
    for (const { object } of evs) {
      const h = object.spec?.holderIdentity ?? '';
      const ph = prev?.spec?.holderIdentity ?? '';
      if (prev && ph && h && h !== ph) {
        const expiresAt = Date.parse(prev.spec.renewTime) + prev.spec.leaseDurationSeconds * 1000;
        const takenAt = Date.parse(object.spec.acquireTime ?? object.spec.renewTime);
        if (takenAt < expiresAt) out.push(`${key}: ${ph} -> ${h} at ${object.spec.acquireTime} before ${ph}'s lease expired`);
      }
      prev = object;
    }
  }
  return out;
}
