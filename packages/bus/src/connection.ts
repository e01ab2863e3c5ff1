import { connect, Events, DebugEvents, type NatsConnection } from 'nats';
import type { NatsAuth } from './auth.ts';

/** The subset of a pino logger the bus uses. */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface NatsConnectionOptions {
  /** One URL or several (nats://127.0.0.1:4222). */
  servers: string | string[];
  /** Shown by the server's connz monitoring and in logs. */
  name: string;
  log?: BusLogger;
  /** Wait between reconnect attempts; jitter is added by nats.js. */
  reconnectTimeWaitMs?: number;
  /** Credentials and TLS (readNatsAuth); none: plaintext without auth. */
  auth?: NatsAuth;
}

/** A NATS connection that reconnects forever and logs every change of state. */
export interface ManagedNatsConnection {
  nc: NatsConnection;
  /** False between a disconnect and the following reconnect (for /healthz). */
  readonly connected: boolean;
  /**
   * Calls `listener` after every reconnect. Messages published while disconnected may be lost
   * (core NATS has no replay): an agent resyncs its slots from a snapshot here.
   */
  onReconnect(listener: () => void): void;
  /** Flushes pending publishes, lets subscriptions finish their messages, then closes. */
  close(): Promise<void>;
}

/**
 * Connects to NATS. It waits for the first connection however long the server takes to come up
 * (processes may start before nats-server) and then reconnects forever: a fleet process never
 * gives up on the bus. Subscriptions are re-established by nats.js on every reconnect.
 */
export async function connectNats(opts: NatsConnectionOptions): Promise<ManagedNatsConnection> {
  const log = opts.log;
  const nc = await connect({
    servers: opts.servers,
    name: opts.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
    pingInterval: 10_000,
    maxPingOut: 3,
    ...(opts.auth?.authenticator ? { authenticator: opts.auth.authenticator } : {}),
    ...(opts.auth?.tls ? { tls: opts.auth.tls } : {}),
  });
  let connected = true;
  const reconnectListeners: Array<() => void> = [];
  log?.info({ server: nc.getServer(), name: opts.name, auth: opts.auth?.mode ?? 'none', tls: !!opts.auth?.tls }, 'nats connected');
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          connected = false;
          log?.warn({ server: s.data }, 'nats disconnected, reconnecting');
          break;
        case Events.Reconnect:
          connected = true;
          log?.info({ server: s.data }, 'nats reconnected');
          for (const l of reconnectListeners) {
            try {
              l();
            } catch (err) {
              log?.error({ err }, 'reconnect listener failed');
            }
          }
          break;
        case Events.Error:
          log?.error({ err: s.data }, 'nats async error');
          break;
        case Events.LDM:
          log?.warn({ server: s.data }, 'nats server entering lame duck mode');
          break;
        case DebugEvents.StaleConnection:
          log?.warn({}, 'nats connection stale');
          break;
        default:
          break;
      }
    }
  })();
  void nc.closed().then((err) => {
    connected = false;
    if (err) log?.error({ err }, 'nats connection closed with error');
    else log?.info({}, 'nats connection closed');
  });
  return {
    nc,
    get connected() {
      return connected && !nc.isClosed();
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    async close() {
      if (nc.isClosed()) return;
      // drain() fails when the server is down; closing is then all that is left to do.
      try {
        await nc.drain();
      } catch {
        await nc.close();
      }
    },
  };
}
