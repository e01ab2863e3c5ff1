import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@virtsim/telemetry';
import { MAX_AGENT_ID_LENGTH, monotonicNow, type CoordinatorHandlers, type Table__Output } from '@virtsim/fleet-proto';
import type { AssignmentStreams } from './assignment-streams.ts';
import type { FleetState } from './fleet.ts';
import type { CoordinatorMetrics } from './metrics.ts';

export interface HandlerDeps {
  fleet: FleetState;
  streams: AssignmentStreams;
  metrics: CoordinatorMetrics;
  log: Logger;
  /** Told to agents on Join. */
  heartbeatIntervalMs: number;
}

const notMember = (agentId: string) => `agent ${JSON.stringify(agentId)} is not a member (join first)`;

/** The whole table and the membership, as GetTable answers it. */
export function tableOf(fleet: FleetState, now = monotonicNow()): Table__Output {
  const t = fleet.table;
  return {
    epoch: fleet.epoch,
    slotCount: t.slotCount,
    owners: t.owners().map((o) => o ?? ''),
    revoking: t.revokingSlots(),
    moves: t.moves,
    members: fleet.membership.ids().map((id) => {
      const m = fleet.membership.get(id)!;
      return { agentId: id, slots: t.activeSlotsOf(id), revoking: t.revokingSlotsOf(id), heartbeatAgeMs: now - m.lastHeartbeat, expiresAtMs: m.lastHeartbeat + fleet.ttlMs };
    }),
  };
}

/**
 * The gRPC handlers of virtsim.fleet.v1.Coordinator: each checks its request, applies it to the
 * fleet state (or the assignment streams) and counts the call by method and status code.
 */
export function coordinatorHandlers({ fleet, streams, metrics, log, heartbeatIntervalMs }: HandlerDeps): CoordinatorHandlers {
  const count = (method: string, code: grpc.status) => metrics.rpcs.inc({ method, code: grpc.status[code] });
  const fail = <T>(method: string, cb: grpc.sendUnaryData<T>, code: grpc.status, details: string) => {
    count(method, code);
    cb({ code, details });
  };
  return {
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
      cb(null, { epoch, ttlMs: fleet.ttlMs, heartbeatIntervalMs, slotCount: fleet.table.slotCount, acceptedSlots: accepted });
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
      streams.end(agentId);
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
      count('GetTable', grpc.status.OK);
      cb(null, tableOf(fleet));
    },
    WatchAssignment(call) {
      const { agentId } = call.request;
      if (!fleet.membership.has(agentId)) {
        count('WatchAssignment', grpc.status.NOT_FOUND);
        call.emit('error', { code: grpc.status.NOT_FOUND, details: notMember(agentId) });
        return;
      }
      count('WatchAssignment', grpc.status.OK);
      streams.open(agentId, call);
    },
  };
}
