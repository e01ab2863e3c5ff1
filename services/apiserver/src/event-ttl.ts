/**
 * Events expire as in kube-apiserver (--event-ttl, 1 hour by default): a periodic sweep removes
 * Events (core and events.k8s.io share one storage) created longer ago than the TTL, with DELETED events for watchers.
 * Without it a long simulation would keep every Event ever recorded.
 */
import type { Store } from './store.ts';

// events.k8s.io Events are stored as core Events.
const EVENT_KEYS = ['/events'];

export function sweepExpiredEvents(store: Store, ttlMs: number, now = Date.now()): number {
  let removed = 0;
  const cutoff = now - ttlMs;
  for (const key of EVENT_KEYS) {
    for (const e of [...store.scan(key, undefined)]) {
      const o = JSON.parse(e.json);
      const created = Date.parse(o.metadata?.creationTimestamp ?? '');
      if (!Number.isNaN(created) && created < cutoff) {
        try {
          store.remove(key, e, o);
        } catch {
          // the store refused the write (full disk, logged there): the next sweep tries again
          return removed;
        }
        removed++;
      }
    }
  }
  return removed;
}

/** Sweeps every `intervalMs`; returns the stop function. */
export function startEventTtl(store: Store, ttlMs: number, intervalMs = Math.min(60_000, Math.max(1000, ttlMs / 10))): () => void {
  const t = setInterval(() => sweepExpiredEvents(store, ttlMs), intervalMs);
  t.unref();
  return () => clearInterval(t);
}
