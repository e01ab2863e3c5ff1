import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { Logger } from '@virtsim/telemetry';
import { loadProtos, MESSAGE_SIZE_OPTIONS, serverCredentials, type ServerTls } from '@virtsim/fleet-proto';
import { AssignmentStreams } from './assignment-streams.ts';
import { FleetState } from './fleet.ts';
import { coordinatorHandlers } from './handlers.ts';
import { HealthService } from './health.ts';
import { registerCoordinatorMetrics } from './metrics.ts';
import { RebalanceWatch } from './rebalance-watch.ts';

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
  /** See FleetOptions.initialMembers and initialWaitMs. */
  initialMembers?: number;
  initialWaitMs?: number;
  /** TLS; with `ca`, mTLS: an agent without a certificate signed by it cannot connect. Plaintext without. */
  tls?: ServerTls;
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

/** Starts the coordinator's gRPC server (Coordinator + grpc.health.v1) and its expiry timer. */
export async function startCoordinatorServer(opts: CoordinatorServerOptions): Promise<CoordinatorServer> {
  const log = opts.log;
  const ttlMs = opts.ttlMs ?? 10_000;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? Math.max(50, Math.floor(ttlMs / 4));
  const fleet = new FleetState({ ttlMs, settleMs: opts.settleMs, initialMembers: opts.initialMembers, initialWaitMs: opts.initialWaitMs });
  const metrics = registerCoordinatorMetrics(opts.registry, fleet);
  const streams = new AssignmentStreams(fleet);
  const rebalance = new RebalanceWatch({ fleet, histogram: metrics.rebalance, log });

  fleet.onEpoch((c) => {
    rebalance.epoch(c);
    log.info(
      { epoch: c.epoch, reason: c.reason, members: c.members, slotsPerAgent: c.slotsPerAgent, revoking: c.revoking, unowned: c.unowned, assigned: c.assigned, revoked: c.revoked, moves: c.moves },
      'epoch',
    );
    streams.epochChanged();
  });

  const server = new grpc.Server({
    ...MESSAGE_SIZE_OPTIONS,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(loadProtos().fleet.virtsim.fleet.v1.Coordinator.service, coordinatorHandlers({ fleet, streams, metrics, log, heartbeatIntervalMs }));
  const health = new HealthService([COORDINATOR_SERVICE]);
  health.addToServer(server);
  const { port, address } = await bind(server, opts.host ?? '127.0.0.1', opts.port ?? 0, serverCredentials(opts.tls));

  // Expiry and the end of the settle period are checked often enough that a dead agent's slots
  // move within a small fraction of the TTL after it expired.
  const tick = setInterval(() => {
    for (const id of fleet.tick()) {
      metrics.expired.inc();
      log.warn({ agentId: id, ttlMs }, 'agent membership expired; its slots move');
      streams.end(id);
    }
    rebalance.check();
  }, Math.max(20, Math.min(250, Math.floor(ttlMs / 10))));
  tick.unref();

  log.info({ address, ttlMs, heartbeatIntervalMs, settleMs: opts.settleMs ?? ttlMs, tls: opts.tls ? (opts.tls.ca ? 'mtls' : 'tls') : 'off' }, 'coordinator listening');

  return {
    port,
    address,
    fleet,
    async close() {
      clearInterval(tick);
      health.setAll('NOT_SERVING');
      health.endWatches();
      streams.endAll();
      await shutdown(server);
    },
  };
}

/** Binds `server` on host:port (port 0: a free one); resolves with the port and the address. */
async function bind(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials): Promise<{ port: number; address: string }> {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${hostPart}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port: bound, address: `${hostPart}:${bound}` };
}

/** Lets calls in flight finish, for 2 s at most, then cuts them. */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2_000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
