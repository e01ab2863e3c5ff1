import type { Logger } from 'pino';

export interface WorkQueueOptions {
  name: string;
  concurrency: number;
  log: Logger;
  /** Reconciles one key; a thrown error re-queues the key with a per-key backoff. */
  reconcile: (key: string) => Promise<void>;
  onDepth?: (depth: number) => void;
}

/**
 * client-go's workqueue semantics, which make reconcilers level-triggered: a key is queued at most
 * once, never processed by two workers at the same time, and a key added while it is being
 * processed runs again afterwards (so no change is lost). Failures back off per key (5 ms .. 10 s).
 */
export class WorkQueue {
  private readonly opts: WorkQueueOptions;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions) {
    this.opts = opts;
  }

  get depth(): number {
    return this.queue.length - this.head;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
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
    while (!this.stopped && this.active < this.opts.concurrency && this.head < this.queue.length) {
      const key = this.queue[this.head++];
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
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
      if (n > 3) this.opts.log.warn({ queue: this.opts.name, key, err, retryInMs: delay }, 'reconcile failed, retrying');
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
    this.queue.length = 0;
    this.head = 0;
    this.queued.clear();
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
