/**
 * The API fault mode (off by default; `virtsim apiserver --fault-*`): inside a window relative to
 * the server's start, a seeded fraction of writes is answered with a fault instead of being
 * applied (429 with Retry-After, 500, or a timeout: 504 after a delay, or the connection held and
 * then closed without an answer), and every open watch is cut at an interval. Chaos runs use it to
 * show that the fleet's retries and re-watches still get every transition in, once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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

export const FAULT_KINDS = ['429', '500', '504', 'hangup'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

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
    this.injected = new Counter({ name: 'apiserver_faults_injected_total', help: 'faults the API fault mode injected, by kind (429, 500, 504, hangup, watch-cut)', labelNames: ['kind'], registers: [registry] });
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
   * For a write inside the window, with the configured chance: answers it with a fault (nothing is
   * applied) and returns the fault's kind; otherwise undefined and the write goes on.
   */
  intercept(req: IncomingMessage, res: ServerResponse, resource: string, name: string | undefined): FaultKind | undefined {
    if (this.o.writeErrorRate <= 0 || !WRITE_METHODS.has(req.method ?? '') || !this.active()) return undefined;
    if (this.random() >= this.o.writeErrorRate) return undefined;
    const kind = FAULT_KINDS[Math.floor(this.random() * FAULT_KINDS.length)]!;
    this.injected.inc({ kind });
    this.log.info({ fault: kind, verb: req.method, resource, name }, 'fault injected');
    const later = (fn: () => void) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        fn();
      }, this.o.timeoutDelayMs);
      this.timers.add(t);
    };
    switch (kind) {
      case '429':
        res.setHeader('retry-after', '1');
        sendStatus(res, new StatusError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later (injected fault)', { retryAfterSeconds: 1 }));
        break;
      case '500':
        sendStatus(res, new StatusError(500, 'InternalError', 'Internal error occurred: injected fault'));
        break;
      case '504':
        later(() => sendStatus(res, new StatusError(504, 'Timeout', 'the request did not complete within the allowed time (injected fault)')));
        break;
      case 'hangup':
        later(() => res.socket?.destroy());
        break;
    }
    return kind;
  }

  close(): void {
    if (this.cutTimer) clearInterval(this.cutTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function sendStatus(res: ServerResponse, e: StatusError): void {
  if (res.writableEnded || res.destroyed) return;
  send(res, e.code, JSON.stringify(e.toStatus()));
}
