import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The agent's own metrics (the stage runner, writer and lease keeper register theirs). */
export interface AgentMetrics {
  /** From the watcher receiving a change to this agent receiving it. */
  lag: Histogram;
  /** Events not acted on, by reason. */
  ignored: Counter<'reason'>;
}

/** Registers the agent's metrics on `registry`; `ownedSlots` is read at each scrape. */
export function registerAgentMetrics(registry: Registry, ownedSlots: () => number): AgentMetrics {
  const lag = new Histogram({
    name: 'virtsim_agent_fanout_lag_seconds',
    help: 'From the watcher receiving a change to this agent receiving it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const ignored = new Counter({ name: 'virtsim_agent_events_ignored_total', help: 'Events not acted on, by reason', labelNames: ['reason'], registers: [registry] });
  new Gauge({
    name: 'virtsim_agent_slots_owned',
    help: 'Slots this agent acts on',
    registers: [registry],
    collect() {
      this.set(ownedSlots());
    },
  });
  return { lag, ignored };
}
