/**
 * The API fault mode (off by default; `virtsim apiserver --fault-*`): inside a window relative to
 * the server's start, a seeded fraction of writes gets a fault, and every open watch is cut at an
 * interval. Most faults answer the write instead of applying it: 429 with Retry-After, 500, or a
 * timeout (504 after a delay, or the connection held and then closed without an answer). The
 * `applied` fault is the timeout a real API server gives after etcd committed the write: the write
 * is carried out as usual, and then its answer is lost (a 504 Timeout after the delay, or the
 * connection closed), so the client's retry meets its own write: a create gets 409
 * AlreadyExists, a patch applies again (or meets its own resourceVersion precondition: 409), a
 * delete gets 404. Chaos runs use it to show that the fleet's retries and re-watches still get
 * every transition in, once.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@virtsim/telemetry';
import { send } from './http-io.ts';
import { StatusError } from './status.ts';

export interface FaultOptions {
  /** Fraction (0..1) of writes (create, update, patch, delete) answered with a fault. */
  writeErrorRate?: number;
  /** Cut every open watch at this interval (ms); 0 or unset: never. */
  watchCutEveryMs?: number;
  /** The window opens this long after the server starts (default 0). */
  startMs?: number;
  /** and stays open this long (default: for ever). */
  durationMs?: number;
  /** Seed of the choice of writes and faults, so a run is reproducible (default 1). */
  seed?: number;
  /** How long a timeout holds the request before its 504 or its close (default 2 s). */
  timeoutDelayMs?: number;
}

export const FAULT_KINDS = ['429', '500', '504', 'hangup', 'applied'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How an `applied` fault loses the answer: a 504 Timeout, or the connection closed. */
export const LOST_ANSWERS = ['504', 'hangup'] as const;

/** Serves the write into `sink` (a response that goes nowhere) and resolves to the request's verb. */
export type ServeInto = (sink: ServerResponse) => Promise<string>;

/** The fault a write got; for `applied`, `lose` carries the write out and then loses its answer. */
export interface Interception {
  kind: FaultKind;
  lose?: (serve: ServeInto) => Promise<string>;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** mulberry32: a small seeded generator, so the same seed fails the same writes. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Something that can be cut: an open watch stream. */
export interface Cuttable {
  cut(): void;
}

export class FaultInjector {
  private readonly o: Required<Omit<FaultOptions, 'durationMs'>> & { durationMs: number };
  private readonly random: () => number;
  private readonly t0 = Date.now();
  private readonly watches = new Set<Cuttable>();
  private readonly injected: Counter;
  private readonly log: Logger;
  private readonly timers = new Set<NodeJS.Timeout>();
  private cutTimer: NodeJS.Timeout | undefined;
  private wasActive = false;

  constructor(opts: FaultOptions, log: Logger, registry: Registry) {
    this.o = {
      writeErrorRate: opts.writeErrorRate ?? 0,
      watchCutEveryMs: opts.watchCutEveryMs ?? 0,
      startMs: opts.startMs ?? 0,
      durationMs: opts.durationMs ?? Number.POSITIVE_INFINITY,
      seed: opts.seed ?? 1,
      timeoutDelayMs: opts.timeoutDelayMs ?? 2000,
    };
    this.random = seededRandom(this.o.seed);
    this.log = log;
    this.injected = new Counter({ name: 'apiserver_faults_injected_total', help: 'faults the API fault mode injected, by kind (429, 500, 504, hangup, applied, watch-cut)', labelNames: ['kind'], registers: [registry] });
    if (this.o.watchCutEveryMs > 0) this.cutTimer = setInterval(() => this.cutWatches(), this.o.watchCutEveryMs);
    log.warn({ ...this.o, durationMs: Number.isFinite(this.o.durationMs) ? this.o.durationMs : null }, 'API fault mode on');
  }

  /** Whether any fault is configured at all. */
  static wanted(o: FaultOptions | undefined): o is FaultOptions {
    return !!o && ((o.writeErrorRate ?? 0) > 0 || (o.watchCutEveryMs ?? 0) > 0);
  }

  /** Inside the window now. */
  active(now = Date.now()): boolean {
    const t = now - this.t0;
    const on = t >= this.o.startMs && t < this.o.startMs + this.o.durationMs;
    if (on !== this.wasActive) {
      this.wasActive = on;
      this.log.warn({ window: on ? 'open' : 'closed', sinceStartMs: t }, on ? 'API fault window opened' : 'API fault window closed');
    }
    return on;
  }

  watchOpened(w: Cuttable): () => void {
    this.watches.add(w);
    return () => this.watches.delete(w);
  }

  private cutWatches(): void {
    if (!this.active() || this.watches.size === 0) return;
    const n = this.watches.size;
    for (const w of [...this.watches]) w.cut();
    this.watches.clear();
    this.injected.inc({ kind: 'watch-cut' }, n);
    this.log.info({ fault: 'watch-cut', watches: n }, 'fault injected: every open watch cut');
  }

  /**
   * For a write inside the window, with the configured chance: the fault it gets, else undefined
   * and the write goes on. Every kind but `applied` answers the write here (nothing is applied);
   * for `applied` the caller must hand its write to `lose`, which serves it into a stand-in response
   * and then times the client out or hangs up.
   */
  intercept(req: IncomingMessage, res: ServerResponse, resource: string, name: string | undefined): Interception | undefined {
    if (this.o.writeErrorRate <= 0 || !WRITE_METHODS.has(req.method ?? '') || !this.active()) return undefined;
    if (this.random() >= this.o.writeErrorRate) return undefined;
    const kind = FAULT_KINDS[Math.floor(this.random() * FAULT_KINDS.length)]!;
    if (kind === 'applied') {
      // Drawn now, in the order the writes came, so a seed gives the same sequence.
      const answer = LOST_ANSWERS[Math.floor(this.random() * LOST_ANSWERS.length)]!;
      return { kind, lose: (serve) => this.applyThenLose(req, res, resource, name, answer, serve) };
    }
    this.injected.inc({ kind });
    this.log.info({ fault: kind, verb: req.method, resource, name }, 'fault injected');
    switch (kind) {
      case '429':
        res.setHeader('retry-after', '1');
        sendStatus(res, new StatusError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later (injected fault)', { retryAfterSeconds: 1 }));
        break;
      case '500':
        sendStatus(res, new StatusError(500, 'InternalError', 'Internal error occurred: injected fault'));
        break;
      case '504':
        this.later(() => sendStatus(res, timeout('the request did not complete within the allowed time (injected fault)')));
        break;
      case 'hangup':
        this.later(() => res.socket?.destroy());
        break;
    }
    return { kind };
  }

  /** The `applied` fault: the write is served as usual, its answer kept from the client, who gets `answer` after the delay. */
  private async applyThenLose(req: IncomingMessage, res: ServerResponse, resource: string, name: string | undefined, answer: (typeof LOST_ANSWERS)[number], serve: ServeInto): Promise<string> {
    const sink = new ServerResponse(req);
    const verb = await serve(sink);
    this.injected.inc({ kind: 'applied' });
    // code: what the write itself was answered (2xx: applied); answer: what the client gets instead.
    this.log.info({ fault: 'applied', verb: req.method, resource, name, code: sink.statusCode, answer }, 'fault injected');
    if (answer === '504') {
      this.later(() => sendStatus(res, timeout('Timeout: request did not complete within requested timeout - context deadline exceeded (injected fault: the write was carried out)')));
    } else {
      this.later(() => res.socket?.destroy());
    }
    return verb;
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.o.timeoutDelayMs);
    this.timers.add(t);
  }

  close(): void {
    if (this.cutTimer) clearInterval(this.cutTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** kube-apiserver's timeout: status Failure, reason Timeout, code 504. */
function timeout(message: string): StatusError {
  return new StatusError(504, 'Timeout', message);
}

function sendStatus(res: ServerResponse, e: StatusError): void {
  if (res.writableEnded || res.destroyed) return;
  send(res, e.code, JSON.stringify(e.toStatus()));
}
