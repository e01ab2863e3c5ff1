import { join } from 'node:path';
import { startVirtsim, type ServiceProcess } from '@virtsim/testkit/service-process';
import { waitFor } from '@virtsim/testkit/wait';
import { startFleet, type Fleet, type FleetOptions } from '../fleet/harness.ts';
import { listNodes } from '../fleet/harness.ts';

export interface Cluster {
  fleet: Fleet;
  controlPlane: ServiceProcess;
  /** The control plane's /metrics base URL. */
  metrics: string;
  startControlPlane(): Promise<ServiceProcess>;
  kubectl(args: string[], input?: string): Promise<string>;
  kubectlJson<T = any>(args: string[]): Promise<T>;
  stop(): Promise<void>;
}

export interface ClusterOptions extends FleetOptions {
  /** Extra `virtsim control-plane` flags. */
  controlPlaneArgs?: string[];
}

/** The fleet of test/fleet/harness.ts plus `virtsim control-plane`, with every node Ready. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const fleet = await startFleet(opts);
  let n = 0;
  const start = () =>
    startVirtsim(
      'control-plane',
      ['control-plane', '--kubeconfig', fleet.api.kubeconfigPath, '--identity', `control-plane-${n}`, ...(opts.controlPlaneArgs ?? [])],
      (r) => (r.msg === 'control-plane started' ? r.metrics : undefined),
      { logFile: join(fleet.dir, `control-plane-${n++}.log`) },
    );
  const cluster: Cluster = {
    fleet,
    controlPlane: await start(),
    metrics: '',
    async startControlPlane() {
      cluster.controlPlane = await start();
      cluster.metrics = String(cluster.controlPlane.readyValue);
      return cluster.controlPlane;
    },
    async kubectl(args, input) {
      const r = await fleet.api.kubectl(args, input === undefined ? {} : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    async kubectlJson(args) {
      return JSON.parse(await cluster.kubectl([...args, '-o', 'json']));
    },
    async stop() {
      await cluster.controlPlane.stop();
      await fleet.stop();
    },
  };
  cluster.metrics = String(cluster.controlPlane.readyValue);
  await waitFor(`${opts.nodes} nodes Ready`, async () => {
    const nodes = await listNodes(fleet.client);
    return nodes.filter((x) => x.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')).length === opts.nodes;
  }, { timeoutMs: 60_000 });
  return cluster;
}

/** `virtsim control-plane --only COMPONENTS` against a test API server, logging into its directory. */
export function startStandIns(api: { kubeconfigPath: string; dir: string }, only: string): Promise<ServiceProcess> {
  return startVirtsim('control-plane', ['control-plane', '--kubeconfig', api.kubeconfigPath, '--only', only], (r) => (r.msg === 'control-plane started' ? r.metrics : undefined), {
    logFile: join(api.dir, 'control-plane.log'),
  });
}

export const condition = (obj: any, type: string) => (obj?.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
