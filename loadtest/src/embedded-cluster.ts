import { Informer, KubeClient, NODES, sleep, type KubeObject } from '@virtsim/kube';
import { up, type RunningFleet } from '@virtsim/supervisor';
import type { Logger } from '@virtsim/telemetry';
import type { WatchedProcess } from './process-stats.ts';
import { DEFAULT_STAGES } from '@virtsim/supervisor';

/** `virtsim up`'s flags, for `loadtest --up`. */
export interface EmbeddedClusterOptions {
  nodes: number;
  agents: number;
  stateDir: string;
  apiPort: number;
  natsPort: number;
  stages?: string[];
  /** The agents' node Lease duration (default: the kubelet's 40 s). */
  leaseDurationSeconds?: number;
  /** The embedded API server's --durability (default fsync). */
  durability?: 'fsync' | 'batch' | 'none';
}

export interface EmbeddedCluster {
  kubeconfig: string;
  /** Every process of the cluster, by its name in `virtsim up` (apiserver, agent-0, …). */
  processes(): WatchedProcess[];
  agentMetricsUrls(): string[];
  stop(): Promise<void>;
}

const SCHEDULABLE = 'kubevirt.io/schedulable';

/**
 * Waits until `count` nodes are Ready and schedulable for VMIs (virt-handler's
 * `kubevirt.io/schedulable=true` label, which every launcher pod selects). `virtsim up` is ready
 * for kubectl before the agents have registered and labelled every node; a load test that starts
 * then measures the fleet's boot (10,000 node registrations queued ahead of the first VMIs, and
 * pods that no node may take yet), not its steady state.
 */
export async function waitForNodesReady(kubeconfig: string, count: number, log: Logger, timeoutMs = 300_000): Promise<number> {
  const started = Date.now();
  const client = await KubeClient.fromFile(kubeconfig);
  const quiet = log.child({ component: 'nodes-ready' });
  const usable = (n: KubeObject) => n.metadata.labels?.[SCHEDULABLE] === 'true' && n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  const nodes = new Informer(client, {
    resource: NODES,
    log: quiet,
    // Only the verdict is kept: 10,000 whole nodes would cost the load test ~100 MiB.
    transform: (n) => {
      const ok = usable(n);
      return { metadata: { name: n.metadata.name, resourceVersion: n.metadata.resourceVersion, labels: ok ? { [SCHEDULABLE]: 'true' } : undefined }, status: { conditions: ok ? [{ type: 'Ready', status: 'True' }] : [] } };
    },
    onEvent: () => {},
  });
  nodes.start();
  try {
    for (;;) {
      let n = 0;
      for (const node of nodes.store.values()) if (usable(node)) n++;
      if (n >= count) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`only ${n} of ${count} nodes Ready and schedulable after ${Math.round(timeoutMs / 1000)} s`);
      await sleep(200);
    }
  } finally {
    await nodes.stop();
    client.close();
  }
}

/** Starts the embedded cluster as `virtsim up` does, for the length of one run, and waits for its nodes. */
export async function startEmbeddedCluster(opts: EmbeddedClusterOptions, print: (line: string) => void, log: Logger): Promise<EmbeddedCluster> {
  const fleet: RunningFleet = await up(
    { nodes: opts.nodes, agents: opts.agents, stages: opts.stages ?? [DEFAULT_STAGES], stateDir: opts.stateDir, apiPort: opts.apiPort, natsPort: opts.natsPort, leaseDurationSeconds: opts.leaseDurationSeconds, durability: opts.durability, statusIntervalMs: 3_600_000 },
    (line) => {
      // up's banner is for interactive use; the load test's own view says what matters.
      if (line.startsWith('virtsim is up') || line.startsWith('virtsim:')) print(line);
    },
  );
  const sup = fleet.supervisor;
  try {
    const ms = await waitForNodesReady(fleet.kubeconfig, opts.nodes, log);
    print(`virtsim: ${opts.nodes} nodes Ready and schedulable ${(ms / 1000).toFixed(1)} s later; creating starts now`);
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return {
    kubeconfig: fleet.kubeconfig,
    processes: () => sup.list().map((c) => ({ name: c.spec.name, pid: () => c.pid })),
    agentMetricsUrls: () => sup.list().filter((c) => c.spec.name.startsWith('agent-') && typeof c.readyValue === 'string').map((c) => c.readyValue as string),
    stop: () => fleet.stop(),
  };
}
