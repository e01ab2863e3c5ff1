import { up, type RunningFleet } from '@virtsim/supervisor';
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
}

export interface EmbeddedCluster {
  kubeconfig: string;
  /** Every process of the cluster, by its name in `virtsim up` (apiserver, agent-0, …). */
  processes(): WatchedProcess[];
  agentMetricsUrls(): string[];
  stop(): Promise<void>;
}

/** Starts the embedded cluster as `virtsim up` does, for the length of one run. */
export async function startEmbeddedCluster(opts: EmbeddedClusterOptions, print: (line: string) => void): Promise<EmbeddedCluster> {
  const fleet: RunningFleet = await up(
    { nodes: opts.nodes, agents: opts.agents, stages: opts.stages ?? [DEFAULT_STAGES], stateDir: opts.stateDir, apiPort: opts.apiPort, natsPort: opts.natsPort, statusIntervalMs: 3_600_000 },
    (line) => {
      // up's banner is for interactive use; the load test's own view says what matters.
      if (line.startsWith('virtsim is up') || line.startsWith('virtsim:')) print(line);
    },
  );
  const sup = fleet.supervisor;
  return {
    kubeconfig: fleet.kubeconfig,
    processes: () => sup.list().map((c) => ({ name: c.spec.name, pid: () => c.pid })),
    agentMetricsUrls: () => sup.list().filter((c) => c.spec.name.startsWith('agent-') && typeof c.readyValue === 'string').map((c) => c.readyValue as string),
    stop: () => fleet.stop(),
  };
}
