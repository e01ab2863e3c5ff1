import { Gauge } from 'prom-client';
import { createRegistry, startOpsEndpoint, type OpsEndpoint } from '@virtsim/telemetry';
import type { FleetSupervisor } from './fleet-supervisor.ts';

/**
 * `up`'s own /metrics and /healthz, as every long-running process of the fleet has: its process
 * figures (the supervisor's memory counts in the fleet's too), whether each child runs and how
 * often it was restarted. /healthz fails while a child is down (between a crash and its restart).
 */
export async function startUpOps(sup: FleetSupervisor, port = 0): Promise<OpsEndpoint> {
  const registry = createRegistry('up');
  new Gauge({
    name: 'virtsim_up_child_running',
    help: '1 while the child process runs, 0 while it is down',
    labelNames: ['child'],
    registers: [registry],
    collect() {
      for (const c of sup.list()) this.set({ child: c.spec.name }, c.running ? 1 : 0);
    },
  });
  new Gauge({
    name: 'virtsim_up_child_restarts',
    help: 'Times the child exited on its own and was started again',
    labelNames: ['child'],
    registers: [registry],
    collect() {
      for (const c of sup.list()) this.set({ child: c.spec.name }, sup.restarts.get(c.spec.name) ?? 0);
    },
  });
  return startOpsEndpoint({
    registry,
    port,
    health: () => {
      const down = sup.list().filter((c) => !c.running).map((c) => c.spec.name);
      return down.length ? `not running: ${down.join(', ')}` : null;
    },
  });
}
