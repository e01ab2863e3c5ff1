import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FleetState } from './fleet.ts';

/** The coordinator's Prometheus metrics, read from the fleet state at scrape time. */
export function registerCoordinatorMetrics(registry: Registry, fleet: FleetState) {
  new Gauge({
    name: 'virtsim_coordinator_epoch',
    help: 'Current epoch of the slot table',
    registers: [registry],
    collect() {
      this.set(fleet.epoch);
    },
  });
  new Gauge({
    name: 'virtsim_coordinator_members',
    help: 'Live agent memberships',
    registers: [registry],
    collect() {
      this.set(fleet.membership.size);
    },
  });
  new Gauge({
    name: 'virtsim_coordinator_slots',
    help: 'Slots owned per agent (revoking included)',
    labelNames: ['agent'],
    registers: [registry],
    collect() {
      this.reset();
      for (const id of fleet.membership.ids()) this.set({ agent: id }, fleet.table.ownedCount(id));
    },
  });
  new Gauge({
    name: 'virtsim_coordinator_slots_unowned',
    help: 'Slots with no owner (waiting for an agent, or between an acknowledged revoke and the next assignment)',
    registers: [registry],
    collect() {
      this.set(fleet.table.unownedCount());
    },
  });
  new Gauge({
    name: 'virtsim_coordinator_slots_revoking',
    help: 'Slots asked back from their owner and not acknowledged yet',
    registers: [registry],
    collect() {
      this.set(fleet.table.revokingSlots().length);
    },
  });
  new Counter({
    name: 'virtsim_coordinator_slot_moves_total',
    help: 'Slots that changed owner since the coordinator started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(fleet.table.moves);
    },
  });
  const expired = new Counter({
    name: 'virtsim_coordinator_memberships_expired_total',
    help: 'Agent memberships that expired for lack of heartbeats',
    registers: [registry],
  });
  const rpcs = new Counter({
    name: 'virtsim_coordinator_rpcs_total',
    help: 'gRPC calls handled, by method and status code',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const rebalance = new Histogram({
    name: 'virtsim_coordinator_rebalance_seconds',
    help: 'Time from the table becoming unbalanced (slots revoking or unowned) until every slot is owned and no revoke is pending',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return { expired, rpcs, rebalance };
}
export type CoordinatorMetrics = ReturnType<typeof registerCoordinatorMetrics>;
