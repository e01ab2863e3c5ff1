/**
 * A LIST at an older resourceVersion (`resourceVersionMatch=Exact`, and the later pages of a
 * paginated LIST): kube-apiserver reads etcd at that revision; here the objects of one resource
 * are rebuilt from their current state by undoing the events of the watch window, newest first.
 *
 * The rebuild walks and sorts every object of the resource, so it is kept for the pages that
 * follow: a relist of 100,000 objects in pages of 500 would otherwise rebuild it 200 times (it was
 * half of the API server's CPU in a 100,000-VMI cleanup). The past does not change, so a kept
 * snapshot never goes stale; it only costs memory, and is dropped once no page has read it for a
 * while.
 */
import { indexFields } from './builtins.ts';
import type { Labels, Store } from './store.ts';

/** What the selectors and the LIST writer read of an object. */
export interface ListedEntry {
  readonly ns: string;
  readonly name: string;
  readonly json: string;
  readonly labels: Labels | undefined;
  readonly fields: Record<string, string> | undefined;
}

/** The objects of one resource (in one namespace, or all) as they were at one resourceVersion, in key order. */
export class ListSnapshot {
  /** `ns/name` of each entry, sorted: where a page starts is a binary search. */
  private readonly keys: string[];
  private readonly entries: ListedEntry[];

  constructor(entries: ListedEntry[]) {
    this.entries = entries;
    this.keys = entries.map((e) => e.ns + '/' + e.name);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entries whose key sorts after `key` (all of them without one), in key order. */
  *after(key: string | undefined): Generator<ListedEntry> {
    for (let i = key === undefined ? 0 : this.firstAfter(key); i < this.entries.length; i++) yield this.entries[i]!;
  }

  /** How many entries sort after `key`. */
  countAfter(key: string): number {
    return this.entries.length - this.firstAfter(key);
  }

  private firstAfter(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface ListSnapshotsConfig {
  /** A snapshot no page has read for this long is dropped. */
  idleMs: number;
  /** At most this many are kept (the least recently read goes first). */
  max: number;
}

/** Snapshots shared by the pages of lists at older resourceVersions. */
export class ListSnapshots {
  private readonly kept = new Map<string, { snapshot: ListSnapshot; readAt: number }>();
  private built = 0;
  private readonly store: Store;
  private readonly cfg: ListSnapshotsConfig;

  constructor(store: Store, cfg: ListSnapshotsConfig = { idleMs: 60_000, max: 8 }) {
    this.store = store;
    this.cfg = cfg;
  }

  /** The objects of `storeKey` (in `ns`, or all) as they were at `rv`; null when `rv` is older than the window and not kept. */
  at(storeKey: string, ns: string | undefined, rv: number, now = Date.now()): ListSnapshot | null {
    this.dropIdle(now);
    const id = `${storeKey}\0${ns ?? '*'}\0${rv}`;
    const hit = this.kept.get(id);
    if (hit) {
      // Re-inserted so the Map's order stays least recently read first.
      this.kept.delete(id);
      hit.readAt = now;
      this.kept.set(id, hit);
      return hit.snapshot;
    }
    const entries = entriesAt(this.store, storeKey, ns, rv);
    if (!entries) return null;
    this.built++;
    const snapshot = new ListSnapshot(entries);
    this.kept.set(id, { snapshot, readAt: now });
    while (this.kept.size > this.cfg.max) this.kept.delete(this.kept.keys().next().value!);
    return snapshot;
  }

  /** Drops the snapshots no page has read for `idleMs`. */
  dropIdle(now = Date.now()): void {
    for (const [id, k] of this.kept) if (now - k.readAt >= this.cfg.idleMs) this.kept.delete(id);
  }

  /** Snapshots built (not found kept): what the cache saved is the pages read at older versions minus this. */
  get builds(): number {
    return this.built;
  }

  get keptCount(): number {
    return this.kept.size;
  }
}

/** The objects as they were at `rv`, in key order; null when `rv` is older than the window. */
function entriesAt(store: Store, storeKey: string, ns: string | undefined, rv: number): ListedEntry[] | null {
  const events = store.eventsSince(storeKey, rv);
  if (!events) return null;
  const byKey = new Map<string, ListedEntry>();
  // Copies: the store updates its entries in place, and a kept snapshot must not follow them.
  for (const e of store.scan(storeKey, ns)) byKey.set(e.ns + '/' + e.name, { ns: e.ns, name: e.name, json: e.json, labels: e.labels, fields: e.fields });
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i]!;
    if (ns !== undefined && ev.ns !== ns) continue;
    const key = ev.ns + '/' + ev.name;
    // Created after rv: it was not there. Changed or deleted after rv: it was as before that event.
    if (ev.type === 'ADDED' || ev.prevJson === undefined) byKey.delete(key);
    else byKey.set(key, listedFrom(storeKey, ev.ns, ev.name, ev.prevJson));
  }
  // Already in key order but for the objects deleted since rv (put back at the end): the sort's
  // runs make that nearly linear.
  return [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

function listedFrom(storeKey: string, ns: string, name: string, json: string): ListedEntry {
  const obj = JSON.parse(json);
  const l = obj.metadata?.labels;
  const labels: Labels | undefined = l && Object.keys(l).length ? l : undefined;
  return { ns, name, json, labels, fields: indexFields(storeKey, obj) };
}
