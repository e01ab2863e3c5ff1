import { samplesByLabel, scrape, sumSamples } from './metrics-text.ts';

/** Where the status line reads the fleet's counts. */
export interface StatusSources {
  /** The watcher's /metrics URL: nodes by readiness, VMIs by phase. */
  watcher: () => string | undefined;
  /** The agents' /metrics URLs: transitions. */
  agents: () => string[];
}

/**
 * The one-line status `virtsim up` refreshes: nodes Ready, VMIs by phase, transitions/s. Read
 * from the fleet's /metrics (the watcher already caches every Node and VMI), not from watches of
 * its own: those made `up` parse every node heartbeat and VMI change of the whole fleet.
 */
export class StatusLine {
  private readonly sources: StatusSources;
  private nodes = new Map<string, number>();
  private vmis = new Map<string, number>();
  private lastTransitions = 0;
  private lastAt = Date.now();

  constructor(sources: StatusSources) {
    this.sources = sources;
  }

  async render(): Promise<string> {
    const [watcher, total] = await Promise.all([scrape(this.sources.watcher()), this.transitionsTotal()]);
    // A watcher restarting: the last counts stand until it answers again.
    if (watcher !== undefined) {
      this.nodes = samplesByLabel(watcher, 'virtsim_watcher_nodes', 'ready');
      this.vmis = samplesByLabel(watcher, 'virtsim_watcher_vmis', 'phase');
    }
    const ready = this.nodes.get('true') ?? 0;
    const phases = new Map<string, number>();
    let vmis = 0;
    for (const [phase, n] of this.vmis) {
      if (!n) continue;
      // A VMI with no phase yet is shown as Pending (the watcher labels it Unset).
      const p = phase === 'Unset' ? 'Pending' : phase;
      phases.set(p, (phases.get(p) ?? 0) + n);
      vmis += n;
    }
    const now = Date.now();
    const rate = (total - this.lastTransitions) / ((now - this.lastAt) / 1000 || 1);
    this.lastTransitions = total;
    this.lastAt = now;
    const byPhase = [...phases].sort(([a], [b]) => a.localeCompare(b)).map(([p, n]) => `${p} ${n}`).join(', ') || 'none';
    return `nodes Ready ${ready}/${ready + (this.nodes.get('false') ?? 0)} | VMIs ${vmis}: ${byPhase} | transitions/s ${Math.max(0, rate).toFixed(0)}`;
  }

  private async transitionsTotal(): Promise<number> {
    // An agent restarting is counted again next time.
    const texts = await Promise.all(this.sources.agents().map((url) => scrape(url)));
    return texts.reduce((sum, t) => sum + (t ? sumSamples(t, 'virtsim_agent_transitions_total') : 0), 0);
  }
}
