import type { Logger } from 'pino';

export interface WorkQueueOptions {
  name: string;
  concurrency: number;
  log: Logger;
  /** Reconciles one key; a thrown error re-queues the key with a per-key backoff. */
  reconcile: (key: string) => Promise<void>;
  onDepth?: (depth: number) => void;
  /**
   * The rank of a key when it is queued: lower runs first, equal ranks in the order queued. Absent:
   * plain FIFO, as client-go's. Ranked by object age, an object's next step does not wait behind
   * every object created after it, so latency tracks the load instead of the backlog.
   */
  rank?: (key: string) => number;
  /**
   * Keys are queued but none runs until release(): a controller's queue fills from its informers
   * from the first event, and must not reconcile before its caches are synced and it leads.
   */
  held?: boolean;
  /**
   * Errors that are part of normal operation (a write refused for a stale resourceVersion): they
   * back off per key like any failure, so a key whose cache stays stale for a while (a watch
   * relisting 100,000 objects) is tried a dozen times, not every 50 ms; logged at debug only.
   */
  expected?: (err: unknown) => boolean;
}

interface Item {
  rank: number;
  seq: number;
  key: string;
}

const before = (a: Item, b: Item) => a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq);

/**
 * client-go's workqueue semantics, which make reconcilers level-triggered: a key is queued at most
 * once, never processed by two workers at the same time, and a key added while it is being
 * processed runs again afterwards (so no change is lost). Failures back off per key (5 ms .. 10 s).
 */
export class WorkQueue {
  private readonly opts: WorkQueueOptions;
  /** A binary min-heap by (rank, seq). */
  private readonly heap: Item[] = [];
  private seq = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private held: boolean;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions) {
    this.opts = opts;
    this.held = opts.held ?? false;
  }

  /** Lets a held queue run what it has queued and everything added after. */
  release(): void {
    this.held = false;
    this.pump();
  }

  get depth(): number {
    return this.heap.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.push({ rank: this.opts.rank?.(key) ?? 0, seq: this.seq++, key });
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  /** Forget a key's failure history (after it reconciled cleanly). */
  private forget(key: string): void {
    this.failures.delete(key);
  }

  private pump(): void {
    while (!this.stopped && !this.held && this.active < this.opts.concurrency && this.heap.length) {
      const key = this.pop().key;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
    this.opts.onDepth?.(this.depth);
    if (this.active === 0 && this.depth === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.opts.reconcile(key);
      this.forget(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(10_000, 5 * 2 ** Math.min(n, 11));
      if (n > 3 && !this.opts.expected?.(err)) this.opts.log.warn({ queue: this.opts.name, key, err, retryInMs: delay }, 'reconcile failed, retrying');
      else this.opts.log.debug({ queue: this.opts.name, key, err, retryInMs: delay }, 'reconcile failed, retrying');
      this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.active === 0 && this.depth === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.heap.length = 0;
    this.queued.clear();
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private push(e: Item): void {
    const h = this.heap;
    let i = h.push(e) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Item {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (!h.length) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
