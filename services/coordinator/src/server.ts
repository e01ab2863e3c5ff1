import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { Logger } from '@virtsim/telemetry';
import { monotonicNow } from './clock.ts';
import { FleetState, type AgentAssignment } from './fleet.ts';
import { HealthService } from './health.ts';
import { registerCoordinatorMetrics } from './metrics.ts';
import { loadProtos } from './proto.ts';
import type { CoordinatorHandlers } from './generated/virtsim/fleet/v1/Coordinator.ts';
import type { WatchAssignmentRequest__Output } from './generated/virtsim/fleet/v1/WatchAssignmentRequest.ts';
import type { Assignment } from './generated/virtsim/fleet/v1/Assignment.ts';
import { MAX_AGENT_ID_LENGTH, MESSAGE_SIZE_OPTIONS } from './limits.ts';

export const COORDINATOR_SERVICE = 'virtsim.fleet.v1.Coordinator';

export interface CoordinatorServerOptions {
  /** 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 picks a free port; read it back from the result. */
  port?: number;
  /** Membership TTL (default 10 s). */
  ttlMs?: number;
  /** Heartbeat interval told to agents (default TTL / 4). */
  heartbeatIntervalMs?: number;
  /** Claims-only period after start (default: the TTL); see FleetOptions.settleMs. */
  settleMs?: number;
  log: Logger;
  registry: Registry;
}

export interface CoordinatorServer {
  port: number;
  address: string;
  fleet: FleetState;
  /** Ends assignment streams, then stops the gRPC server. */
  close(): Promise<void>;
}

type AssignmentCall = grpc.ServerWritableStream<WatchAssignmentRequest__Output, Assignment>;

function key(a: AgentAssignment): string {
  return `${a.slots.join(',')}|${a.revoking.join(',')}`;
}

/** Starts the coordinator's gRPC server (Coordinator + grpc.health.v1) and its expiry timer. */
export async function startCoordinatorServer(opts: CoordinatorServerOptions): Promise<CoordinatorServer> {
  const log = opts.log;
  const ttlMs = opts.ttlMs ?? 10_000;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? Math.max(50, Math.floor(ttlMs / 4));
  const fleet = new FleetState({ ttlMs, settleMs: opts.settleMs });
  const metrics = registerCoordinatorMetrics(opts.registry, fleet);
  const watches = new Map<string, Set<AssignmentCall>>();
  const lastSent = new Map<AssignmentCall, string>();

  const push = (agentId: string, force = false) => {
    const calls = watches.get(agentId);
    if (!calls) return;
    const a = fleet.assignmentOf(agentId);
    for (const call of calls) {
      const k = key(a);
      if (!force && lastSent.get(call) === k) continue;
      lastSent.set(call, k);
      call.write({ epoch: a.epoch, slots: a.slots, revoking: a.revoking });
    }
  };
  const endWatches = (agentId: string) => {
    for (const call of watches.get(agentId) ?? []) {
      lastSent.delete(call);
      call.end();
    }
    watches.delete(agentId);
  };

  // Rebalance duration: from the first epoch with revoking or unowned slots (and members to take
  // them) until the table is complete again.
  let rebalanceSince: number | undefined;
  let rebalanceWarnedAt = 0;
  const trackRebalance = (revoking: number, unowned: number, members: number) => {
    const busy = members > 0 && (revoking > 0 || unowned > 0);
    if (busy && rebalanceSince === undefined) rebalanceSince = monotonicNow();
    if (!busy && rebalanceSince !== undefined) {
      metrics.rebalance.observe((monotonicNow() - rebalanceSince) / 1000);
      rebalanceSince = undefined;
      rebalanceWarnedAt = 0;
    }
  };

  fleet.onEpoch((c) => {
    trackRebalance(c.revoking, c.unowned, c.members.length);
    log.info(
      { epoch: c.epoch, reason: c.reason, members: c.members, slotsPerAgent: c.slotsPerAgent, revoking: c.revoking, unowned: c.unowned, assigned: c.assigned, revoked: c.revoked, moves: c.moves },
      'epoch',
    );
    for (const agentId of watches.keys()) {
      if (fleet.membership.has(agentId)) push(agentId);
      else endWatches(agentId);
    }
  });

  // Every handler counts its call; unary handlers answer through `reply`.
  const count = (method: string, code: grpc.status) => metrics.rpcs.inc({ method, code: grpc.status[code] });
  const fail = <T>(method: string, cb: grpc.sendUnaryData<T>, code: grpc.status, details: string) => {
    count(method, code);
    cb({ code, details });
  };
  const notMember = (agentId: string) => `agent ${JSON.stringify(agentId)} is not a member (join first)`;

  const handlers: CoordinatorHandlers = {
    Join(call, cb) {
      const { agentId, heldSlots } = call.request;
      if (!agentId) return fail('Join', cb, grpc.status.INVALID_ARGUMENT, 'JoinRequest.agent_id: must not be empty');
      if (agentId.length > MAX_AGENT_ID_LENGTH)
        return fail('Join', cb, grpc.status.INVALID_ARGUMENT, `JoinRequest.agent_id: must be at most ${MAX_AGENT_ID_LENGTH} characters, got ${agentId.length}`);
      const bad = heldSlots.find((s) => !Number.isInteger(s) || s >= fleet.table.slotCount);
      if (bad !== undefined) return fail('Join', cb, grpc.status.INVALID_ARGUMENT, `JoinRequest.held_slots: ${bad} is not a slot (0..${fleet.table.slotCount - 1})`);
      const { accepted, epoch } = fleet.join(agentId, heldSlots);
      log.info({ agentId, claimed: heldSlots.length, accepted: accepted.length, epoch }, 'agent joined');
      count('Join', grpc.status.OK);
      cb(null, { epoch, ttlMs, heartbeatIntervalMs, slotCount: fleet.table.slotCount, acceptedSlots: accepted });
    },
    Heartbeat(call, cb) {
      const epoch = fleet.heartbeat(call.request.agentId);
      if (epoch === undefined) return fail('Heartbeat', cb, grpc.status.NOT_FOUND, notMember(call.request.agentId));
      count('Heartbeat', grpc.status.OK);
      cb(null, { epoch });
    },
    Leave(call, cb) {
      const { agentId } = call.request;
      if (!fleet.leave(agentId)) return fail('Leave', cb, grpc.status.NOT_FOUND, notMember(agentId));
      log.info({ agentId, epoch: fleet.epoch }, 'agent left');
      endWatches(agentId);
      count('Leave', grpc.status.OK);
      cb(null, { epoch: fleet.epoch });
    },
    AckRevoke(call, cb) {
      const { agentId, slots } = call.request;
      if (!fleet.membership.has(agentId)) return fail('AckRevoke', cb, grpc.status.NOT_FOUND, notMember(agentId));
      fleet.acknowledgeRevoke(agentId, slots);
      count('AckRevoke', grpc.status.OK);
      cb(null, { epoch: fleet.epoch });
    },
    GetTable(_call, cb) {
      const t = fleet.table;
      const now = monotonicNow();
      count('GetTable', grpc.status.OK);
      cb(null, {
        epoch: fleet.epoch,
        slotCount: t.slotCount,
        owners: t.owners().map((o) => o ?? ''),
        revoking: t.revokingSlots(),
        moves: t.moves,
        members: fleet.membership.ids().map((id) => {
          const m = fleet.membership.get(id)!;
          return {
            agentId: id,
            slots: t.activeSlotsOf(id),
            revoking: t.revokingSlotsOf(id),
            heartbeatAgeMs: now - m.lastHeartbeat,
            expiresAtMs: m.lastHeartbeat + ttlMs,
          };
        }),
      });
    },
    WatchAssignment(call) {
      const { agentId } = call.request;
      if (!fleet.membership.has(agentId)) {
        count('WatchAssignment', grpc.status.NOT_FOUND);
        call.emit('error', { code: grpc.status.NOT_FOUND, details: notMember(agentId) });
        return;
      }
      count('WatchAssignment', grpc.status.OK);
      let set = watches.get(agentId);
      if (!set) watches.set(agentId, (set = new Set()));
      set.add(call);
      call.on('cancelled', () => {
        set.delete(call);
        lastSent.delete(call);
        if (set.size === 0 && watches.get(agentId) === set) watches.delete(agentId);
      });
      push(agentId, true);
    },
  };

  const server = new grpc.Server({
    ...MESSAGE_SIZE_OPTIONS,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(loadProtos().fleet.virtsim.fleet.v1.Coordinator.service, handlers);
  const health = new HealthService([COORDINATOR_SERVICE]);
  health.addToServer(server);

  const host = opts.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${hostPart}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  // Expiry and the end of the settle period are checked often enough that a dead agent's slots
  // move within a small fraction of the TTL after it expired.
  const tick = setInterval(() => {
    const expired = fleet.tick();
    for (const id of expired) {
      metrics.expired.inc();
      log.warn({ agentId: id, ttlMs }, 'agent membership expired; its slots move');
      endWatches(id);
    }
    // A revoke nobody acknowledges keeps its slot from moving: say so, once per TTL.
    const now = monotonicNow();
    if (rebalanceSince !== undefined && now - rebalanceSince > ttlMs && now - rebalanceWarnedAt > ttlMs && !fleet.settling) {
      rebalanceWarnedAt = now;
      const waitingOn = fleet.membership.ids().filter((id) => fleet.table.revokingSlotsOf(id).length > 0);
      log.warn({ sinceMs: now - rebalanceSince, revoking: fleet.table.revokingSlots().length, unowned: fleet.table.unownedCount(), waitingOn }, 'rebalance not finished');
    }
  }, Math.max(20, Math.min(250, Math.floor(ttlMs / 10))));
  tick.unref();

  log.info({ address: `${hostPart}:${port}`, ttlMs, heartbeatIntervalMs, settleMs: opts.settleMs ?? ttlMs }, 'coordinator listening');

  return {
    port,
    address: `${hostPart}:${port}`,
    fleet,
    async close() {
      clearInterval(tick);
      health.setAll('NOT_SERVING');
      health.endWatches();
      for (const id of [...watches.keys()]) endWatches(id);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
