import { Informer, NODES, VMIS, type KubeClient, type KubeObject } from '@virtsim/kube';
import type { Logger } from '@virtsim/telemetry';

/** Keeps only what the status line shows, so watching 100k VMIs costs little memory. */
function slim(o: KubeObject): KubeObject {
  return {
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion },
    status: {
      phase: o.status?.phase,
      ready: o.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
    },
  };
}

/**
 * The one-line status `virtsim up` refreshes: nodes Ready, VMIs by phase, transitions/s (from the
 * agents' /metrics).
 */
export class StatusLine {
  private readonly nodes: Informer;
  private readonly vmis: Informer;
  private lastTransitions = 0;
  private lastAt = Date.now();
  private readonly metricsUrls: () => string[];

  constructor(client: KubeClient, log: Logger, metricsUrls: () => string[]) {
    const quiet = log.child({ component: 'status' });
    quiet.level = 'error';
    this.nodes = new Informer(client, { resource: NODES, transform: slim, log: quiet, onEvent: () => {} });
    this.vmis = new Informer(client, { resource: VMIS, transform: slim, log: quiet, onEvent: () => {} });
    this.metricsUrls = metricsUrls;
    this.nodes.start();
    this.vmis.start();
  }

  async render(): Promise<string> {
    let ready = 0;
    for (const n of this.nodes.store.values()) if (n.status?.ready) ready++;
    const phases = new Map<string, number>();
    for (const v of this.vmis.store.values()) {
      const p = v.status?.phase || 'Pending';
      phases.set(p, (phases.get(p) ?? 0) + 1);
    }
    const total = await this.transitionsTotal();
    const now = Date.now();
    const rate = (total - this.lastTransitions) / ((now - this.lastAt) / 1000 || 1);
    this.lastTransitions = total;
    this.lastAt = now;
    const byPhase = [...phases].sort(([a], [b]) => a.localeCompare(b)).map(([p, n]) => `${p} ${n}`).join(', ') || 'none';
    return `nodes Ready ${ready}/${this.nodes.store.size} | VMIs ${this.vmis.store.size}: ${byPhase} | transitions/s ${Math.max(0, rate).toFixed(0)}`;
  }

  private async transitionsTotal(): Promise<number> {
    let sum = 0;
    await Promise.all(
      this.metricsUrls().map(async (url) => {
        try {
          const text = await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text();
          for (const line of text.split('\n')) if (line.startsWith('virtsim_agent_transitions_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        } catch {
          // an agent restarting: counted again next time
        }
      }),
    );
    return sum;
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodes.stop(), this.vmis.stop()]);
  }
}
