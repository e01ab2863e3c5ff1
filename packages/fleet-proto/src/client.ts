import * as grpc from '@grpc/grpc-js';
import { loadProtos } from './proto.ts';
import { monotonicNow } from './clock.ts';
import type { CoordinatorClient as GrpcCoordinatorClient } from './generated/virtsim/fleet/v1/Coordinator.ts';
import type { Assignment__Output } from './generated/virtsim/fleet/v1/Assignment.ts';
import type { Table__Output } from './generated/virtsim/fleet/v1/Table.ts';
import type { JoinRequest } from './generated/virtsim/fleet/v1/JoinRequest.ts';
import type { JoinResponse__Output } from './generated/virtsim/fleet/v1/JoinResponse.ts';
import type { HeartbeatRequest } from './generated/virtsim/fleet/v1/HeartbeatRequest.ts';
import type { HeartbeatResponse__Output } from './generated/virtsim/fleet/v1/HeartbeatResponse.ts';
import type { AckRevokeRequest } from './generated/virtsim/fleet/v1/AckRevokeRequest.ts';
import type { AckRevokeResponse__Output } from './generated/virtsim/fleet/v1/AckRevokeResponse.ts';
import type { LeaveRequest } from './generated/virtsim/fleet/v1/LeaveRequest.ts';
import type { LeaveResponse__Output } from './generated/virtsim/fleet/v1/LeaveResponse.ts';
import type { GetTableRequest } from './generated/virtsim/fleet/v1/GetTableRequest.ts';
import { MESSAGE_SIZE_OPTIONS } from './limits.ts';
import { channelCredentials, channelTlsOptions, type ClientTls } from './tls.ts';

/** The subset of a pino logger the client uses. */
interface ClientLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** What the agent may act on now. */
export interface SlotAssignment {
  epoch: number;
  /** Slots to act on. A slot held before and missing here (and from `revoking`) is lost: stop at once. */
  slots: number[];
  /** Slots to stop acting on; acknowledged automatically once the handler returns (see onAssignment). */
  revoking: number[];
  /** True when this assignment comes from losing the coordinator (no slots at all). */
  lost: boolean;
}

export interface CoordinatorClientOptions {
  /** host:port of the coordinator. */
  address: string;
  agentId: string;
  log?: ClientLogger;
  /**
   * Called for every new assignment, one at a time, in order. When the returned promise resolves,
   * the agent has stopped acting on `revoking` and on every slot it no longer has: the client then
   * acknowledges the revoke. Without a handler, call ackRevoke() yourself.
   */
  onAssignment?: (a: SlotAssignment) => void | Promise<void>;
  /**
   * Called when no heartbeat has been accepted for the membership TTL: the agent must stop acting
   * on all slots (its slots may be given to others now). An assignment with no slots and
   * `lost: true` follows. Work resumes with the next assignment after re-joining.
   */
  onLostCoordinator?: () => void;
  /** Wait between attempts to reach the coordinator (default 200 ms). */
  retryDelayMs?: number;
  /** TLS (and mTLS with cert/key) to the coordinator; plaintext without. */
  tls?: ClientTls;
}

const EMPTY: SlotAssignment = { epoch: 0, slots: [], revoking: [], lost: false };

function unary<Req, Res>(
  fn: (req: Req, opts: grpc.CallOptions, cb: grpc.requestCallback<Res>) => grpc.ClientUnaryCall,
  req: Req,
  timeoutMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as Res))),
  );
}

/**
 * The agent side of the coordinator protocol: join, heartbeats, the assignment stream, revoke
 * acknowledgements, re-join after a coordinator restart (claiming the slots it still acts on),
 * and the TTL rule for a lost coordinator. The agent only reacts to assignments.
 */
export class CoordinatorClient {
  readonly agentId: string;
  private readonly opts: CoordinatorClientOptions;
  private readonly grpcClient: GrpcCoordinatorClient;
  private readonly log: ClientLogger | undefined;
  private current: SlotAssignment = EMPTY;
  private ttlMs = 10_000;
  private heartbeatIntervalMs = 2_500;
  /** Send time of the last accepted Join or Heartbeat: the TTL rule counts from it. */
  private lastAcceptedAt = 0;
  private lostTimer: NodeJS.Timeout | undefined;
  private joined = false;
  private lostReported = false;
  private stopped = false;
  private closed = false;
  private stream: grpc.ClientReadableStream<Assignment__Output> | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private handlerChain: Promise<void> = Promise.resolve();
  /** Revoked slots the handler has let go of, not acknowledged yet (the coordinator was unreachable). */
  private pendingAck: number[] = [];
  private readonly iterators = new Set<(a: SlotAssignment) => void>();
  private lastJoinError: string | undefined;

  constructor(opts: CoordinatorClientOptions) {
    this.opts = opts;
    this.agentId = opts.agentId;
    this.log = opts.log;
    const Ctor = loadProtos().fleet.virtsim.fleet.v1.Coordinator;
    this.grpcClient = new Ctor(opts.address, channelCredentials(opts.tls), {
      ...MESSAGE_SIZE_OPTIONS,
      ...channelTlsOptions(opts.tls),
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
  }

  /** The latest assignment. */
  get assignment(): SlotAssignment {
    return this.current;
  }

  /** True while a membership is believed live (joined, and within the TTL of the last heartbeat). */
  get member(): boolean {
    return this.joined && !this.lostReported;
  }

  /**
   * Whether the agent may act on its slots at this very moment: within the TTL of the last
   * accepted heartbeat (before any Join: yes, it has no slots). Checked synchronously by every
   * write, because after a pause (SIGSTOP, a long GC) the timers that write fire before the timer
   * of the TTL rule and before any answer from the coordinator; past the TTL it fences at once.
   */
  mayAct(): boolean {
    if (this.lastAcceptedAt === 0) return true;
    if (this.lostReported) return false;
    if (monotonicNow() < this.lastAcceptedAt + this.ttlMs - this.lostMarginMs()) return true;
    this.checkLost();
    return false;
  }

  /** Starts the protocol; resolves after the first successful Join. */
  async start(): Promise<void> {
    if (this.loop) return;
    let firstJoin!: () => void;
    const joinedOnce = new Promise<void>((r) => (firstJoin = r));
    this.loop = this.run(firstJoin);
    await joinedOnce;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async run(firstJoin: () => void): Promise<void> {
    const retry = this.opts.retryDelayMs ?? 200;
    while (!this.stopped) {
      this.checkLost();
      if (!this.joined) {
        const sentAt = monotonicNow();
        // Claim what the agent still acts on: its slots, and revokes not acknowledged yet.
        const held = this.lostReported ? [] : [...this.current.slots, ...this.current.revoking];
        try {
          const res = await unary<JoinRequest, JoinResponse__Output>(this.grpcClient.join.bind(this.grpcClient), { agentId: this.agentId, heldSlots: held }, 5_000);
          this.ttlMs = res.ttlMs;
          this.heartbeatIntervalMs = res.heartbeatIntervalMs;
          this.accepted(sentAt);
          this.joined = true;
          this.lostReported = false;
          this.lastJoinError = undefined;
          this.log?.info({ agentId: this.agentId, epoch: res.epoch, claimed: held.length, accepted: res.acceptedSlots.length }, 'joined coordinator');
          if (res.acceptedSlots.length < held.length) {
            // Claims the coordinator refused belong to another agent now: stop them at once.
            const ok = new Set(res.acceptedSlots);
            this.deliver({ epoch: res.epoch, slots: this.current.slots.filter((s) => ok.has(s)), revoking: this.current.revoking.filter((s) => ok.has(s)), lost: false });
          }
          this.openStream();
          firstJoin();
        } catch (err) {
          // Once per distinct reason, so a refused certificate is visible without a line per retry.
          const reason = (err as Error).message;
          if (reason !== this.lastJoinError) this.log?.warn({ address: this.opts.address, reason }, 'cannot join the coordinator; retrying');
          this.lastJoinError = reason;
          await this.delay(retry);
          continue;
        }
      }
      await this.delay(this.heartbeatIntervalMs);
      if (this.stopped) break;
      const sentAt = monotonicNow();
      try {
        await unary<HeartbeatRequest, HeartbeatResponse__Output>(this.grpcClient.heartbeat.bind(this.grpcClient), { agentId: this.agentId, epoch: this.current.epoch }, Math.max(100, this.heartbeatIntervalMs));
        // After a loss the agent gave up its slots: only a fresh Join may hand it slots again.
        if (this.joined) this.accepted(sentAt);
        if (this.joined && this.pendingAck.length > 0) await this.flushAck();
      } catch (err) {
        const code = (err as grpc.ServiceError).code;
        if (code === grpc.status.NOT_FOUND) {
          // The coordinator restarted or let the membership expire: join again, claiming our slots.
          this.log?.warn({ agentId: this.agentId }, 'coordinator does not know this agent; re-joining');
          this.joined = false;
          this.closeStream();
        } else {
          this.log?.debug({ err }, 'heartbeat failed');
        }
      }
    }
  }

  /**
   * Records an accepted Join or Heartbeat sent at `sentAt` and arms the TTL rule from it. The
   * coordinator counts its TTL from when it received the call, which is later: the agent always
   * stops before its slots can be handed to another agent. A small margin covers timer lateness.
   */
  private accepted(sentAt: number): void {
    this.lastAcceptedAt = sentAt;
    clearTimeout(this.lostTimer);
    const lostAt = sentAt + this.ttlMs - this.lostMarginMs();
    this.lostTimer = setTimeout(() => this.checkLost(), Math.max(0, Math.ceil(lostAt - monotonicNow())));
    this.lostTimer.unref();
  }

  private lostMarginMs(): number {
    return Math.min(500, Math.floor(this.ttlMs / 10));
  }

  /** Applies the TTL rule: no accepted heartbeat for a TTL means the slots may be someone else's. */
  private checkLost(): void {
    if (this.lostReported || this.lastAcceptedAt === 0 || this.stopped) return;
    const dueIn = this.lastAcceptedAt + this.ttlMs - this.lostMarginMs() - monotonicNow();
    if (dueIn > 0) {
      // Timers round to whole milliseconds and may fire a fraction early: check again when due.
      clearTimeout(this.lostTimer);
      this.lostTimer = setTimeout(() => this.checkLost(), Math.ceil(dueIn) + 1);
      this.lostTimer.unref();
      return;
    }
    this.lostReported = true;
    this.joined = false;
    this.closeStream();
    this.log?.warn({ agentId: this.agentId, ttlMs: this.ttlMs }, 'lost the coordinator for a TTL; stopping all slots');
    this.opts.onLostCoordinator?.();
    this.deliver({ epoch: this.current.epoch, slots: [], revoking: [], lost: true });
    this.wake?.();
  }

  private openStream(): void {
    this.closeStream();
    const stream = this.grpcClient.watchAssignment({ agentId: this.agentId });
    this.stream = stream;
    stream.on('data', (a: Assignment__Output) => {
      if (this.stream !== stream || this.lostReported) return;
      this.deliver({ epoch: a.epoch, slots: a.slots, revoking: a.revoking, lost: false });
    });
    const ended = () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      // The stream ends when the coordinator stops or drops the membership; heartbeats tell which.
      // Re-open it while the membership is still good.
      if (!this.stopped && this.joined) {
        setTimeout(() => {
          if (!this.stopped && this.joined && !this.stream) this.openStream();
        }, this.opts.retryDelayMs ?? 200).unref();
      }
    };
    stream.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.NOT_FOUND) {
        this.joined = false;
        this.wake?.();
      }
      ended();
    });
    stream.on('end', ended);
  }

  private closeStream(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
  }

  private deliver(a: SlotAssignment): void {
    this.current = a;
    for (const push of this.iterators) push(a);
    const handler = this.opts.onAssignment;
    if (!handler) return;
    this.handlerChain = this.handlerChain.then(async () => {
      try {
        await handler(a);
      } catch (err) {
        this.log?.warn({ err }, 'assignment handler failed; not acknowledging its revokes');
        return;
      }
      if (a.revoking.length > 0 && !a.lost) {
        this.pendingAck = a.revoking;
        await this.flushAck();
      }
    });
  }

  /** Sends the acknowledgement the handler earned; kept for the next heartbeat if it fails. */
  private async flushAck(): Promise<void> {
    const slots = this.pendingAck;
    if (slots.length === 0) return;
    try {
      await this.ackRevoke(slots);
      if (this.pendingAck === slots) this.pendingAck = [];
    } catch (err) {
      this.log?.debug({ err }, 'revoke acknowledgement failed; retrying with the next heartbeat');
    }
  }

  /**
   * Acknowledges revoked slots (the agent has stopped acting on them). Retried by the next
   * assignment if the coordinator is unreachable: a revoke stays in `revoking` until acknowledged.
   */
  async ackRevoke(slots: number[]): Promise<void> {
    await unary<AckRevokeRequest, AckRevokeResponse__Output>(this.grpcClient.ackRevoke.bind(this.grpcClient), { agentId: this.agentId, slots }, 5_000);
    this.log?.debug({ agentId: this.agentId, slots: slots.length }, 'acknowledged revoke');
  }

  /** Every assignment from now on, as an async iterator (ends when the client stops). */
  async *assignments(): AsyncGenerator<SlotAssignment> {
    const queue: SlotAssignment[] = [];
    let notify: (() => void) | undefined;
    const push = (a: SlotAssignment) => {
      queue.push(a);
      notify?.();
    };
    this.iterators.add(push);
    try {
      while (!this.stopped) {
        if (queue.length === 0) await new Promise<void>((r) => (notify = r));
        notify = undefined;
        while (queue.length > 0) yield queue.shift()!;
      }
    } finally {
      this.iterators.delete(push);
    }
  }

  /** The coordinator's whole table (for tools and tests). */
  getTable(): Promise<Table__Output> {
    return unary<GetTableRequest, Table__Output>(this.grpcClient.getTable.bind(this.grpcClient), {}, 5_000);
  }

  private async halt(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.lostTimer);
    this.wake?.();
    this.closeStream();
    for (const push of this.iterators) push({ ...this.current });
    await this.loop;
    await this.handlerChain;
  }

  /**
   * Graceful exit: the agent has stopped acting on all its slots; they move to others at once.
   * Stops heartbeats and closes the channel.
   */
  async leave(): Promise<void> {
    if (this.closed) return;
    await this.halt();
    try {
      await unary<LeaveRequest, LeaveResponse__Output>(this.grpcClient.leave.bind(this.grpcClient), { agentId: this.agentId }, 5_000);
    } catch (err) {
      this.log?.warn({ err }, 'leave failed; the membership will expire');
    }
    this.closed = true;
    this.grpcClient.close();
  }

  /** Stops without leaving (as a crash would look to the coordinator): the membership expires. Idempotent, also after leave(). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.halt();
    this.closed = true;
    this.grpcClient.close();
  }
}
