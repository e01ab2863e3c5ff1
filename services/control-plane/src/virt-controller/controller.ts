import { objectKey, type KubeObject } from '@virtsim/kube';
import type { Logger } from 'pino';
import type { ControllerContext } from '../context.ts';
import type { ObjectCache } from '../object-cache.ts';
import { WorkQueue } from '../work-queue.ts';
import { isConflict } from '../writes.ts';

/** What a controller reads of its primary objects' cache. */
export type PrimaryCache = Pick<ObjectCache, 'onChange' | 'get' | 'values'>;

export interface ControllerOptions {
  /** Names the work queue and the log lines (`controller` field). */
  name: string;
  /** Keys reconciled at once. */
  concurrency: number;
  /** The cache of the objects this controller reconciles, one key (namespace/name) each. */
  primary: PrimaryCache;
}

/**
 * What the virt-controller stand-ins share, as KubeVirt's controllers do: a work queue of primary
 * object keys, each change of a primary object queues its key, start() queues every cached one
 * and only then lets the queue run (nothing is reconciled before the caches are synced),
 * and reconcile reads the object from the cache and syncs it (level-triggered: everything is
 * recomputed from the caches). A write refused for a stale resourceVersion (ConflictError) backs
 * off in the queue like any error, quietly: the watch queues the key again as soon as it brings
 * the newer version, and the backoff only bounds the retries while the cache stays stale.
 * A subclass implements sync() and queues keys for the other objects it watches.
 */
export abstract class Controller {
  protected readonly ctx: ControllerContext;
  protected readonly log: Logger;
  protected readonly queue: WorkQueue;
  private readonly primary: PrimaryCache;

  constructor(ctx: ControllerContext, opts: ControllerOptions) {
    this.ctx = ctx;
    this.primary = opts.primary;
    this.log = ctx.log.child({ controller: opts.name });
    // Oldest object first: a VMI whose pod was just bound is not queued behind every VMI created since.
    const rank = (k: string) => Date.parse(opts.primary.get(k)?.metadata.creationTimestamp ?? '') || 0;
    // Held until start(): events arrive while the caches still list, and a VMI reconciled against a
    // half-listed pod cache would look as if its launcher pod were gone (and be failed).
    this.queue = new WorkQueue({ name: opts.name, concurrency: opts.concurrency, log: this.log, reconcile: (k) => this.reconcile(k), rank, held: true, expected: isConflict });
    opts.primary.onChange((_t, obj) => this.queue.add(objectKey(obj)));
  }

  /** Queues every cached primary object and starts reconciling (the caches are synced by now). */
  start(): void {
    for (const obj of this.primary.values()) this.queue.add(objectKey(obj));
    this.queue.release();
  }

  /** Stops taking keys; resolves when the reconciles in flight are done. */
  stop(): Promise<void> {
    return this.queue.stop();
  }

  /** Brings the world in line with one primary object, as the caches show it now. */
  protected abstract sync(obj: KubeObject): Promise<void>;

  private async reconcile(key: string): Promise<void> {
    const obj = this.primary.get(key);
    if (obj) await this.sync(obj);
  }
}
