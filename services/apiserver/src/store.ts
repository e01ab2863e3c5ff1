/**
 * The object store: one global resourceVersion counter, every object kept once as its JSON text
 * (plus the few fields selectors and garbage collection need), a window of recent events per
 * resource for watch resumption, and the watchers of each resource. Events are serialized once
 * and the same bytes are written to every watcher. Policy (admission, finalizers, defaults) lives
 * in the REST layer above.
 */

import { EVENT_FRESH_MS, EventWindow } from './event-window.ts';

export type Labels = Record<string, string>;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Entry {
  /** `${storeKey}|${ns}/${name}`: identity across the whole store. */
  id: string;
  storeKey: string;
  ns: string;
  name: string;
  uid: string;
  rv: number;
  json: string;
  labels: Labels | undefined;
  /** Indexed fields for field selectors (pods: spec.nodeName, status.phase). */
  fields: Record<string, string> | undefined;
  ownerUids: string[] | undefined;
}

export interface StoredEvent {
  rv: number;
  type: EventType;
  storeKey: string;
  ns: string;
  name: string;
  labels: Labels | undefined;
  fields: Record<string, string> | undefined;
  prevLabels: Labels | undefined;
  prevFields: Record<string, string> | undefined;
  json: string;
  /** The object as it was before this event (MODIFIED, DELETED): how a LIST at an older resourceVersion is rebuilt. */
  prevJson: string | undefined;
  line: Buffer | null;
}

/** What the REST layer hands over to write: the object and its indexed fields. */
export interface WriteInput {
  obj: Record<string, any>;
  fields?: Record<string, string>;
  /**
   * The object already serialized with `metadata.resourceVersion` = `serializedRv` (the no-op
   * check made it): the new resourceVersion is spliced in instead of serializing again.
   */
  serialized?: string;
  serializedRv?: string;
}

export interface WatcherSink {
  /** Receives an event (already filtered by resource); returns false when it must be dropped. */
  deliver(ev: StoredEvent): void;
  /** Ends the watch (the client watches again from its last resourceVersion). */
  close?(): void;
  /** Bytes its client has still to read: sent and unread, or due (an initial state, held events). */
  backlogBytes?(): number;
}

class ResourceStore {
  readonly byKey = new Map<string, Entry>();
  readonly window: EventWindow;

  constructor(limits: ConstructorParameters<typeof EventWindow>[0]) {
    this.window = new EventWindow(limits);
  }

  private sortedKeys: string[] | null = null;
  readonly watchers = new Set<WatcherSink>();

  /** Keys removed since the sorted array was built; they stay in it (readers skip them) until compacted. */
  private stale = 0;

  invalidateOrder(): void {
    this.sortedKeys = null;
    this.stale = 0;
    this.pending = [];
  }

  /** Keys added since the sorted array was built, merged in by the next reader. */
  private pending: string[] = [];

  /** A new key: remembered, and merged in order on the next read (a list is O(n) anyway; a create stays O(1)). */
  added(key: string): void {
    if (this.sortedKeys) this.pending.push(key);
  }

  /** A removed key stays in the sorted array (scans skip keys no longer in the map); compacted when half are gone. */
  removed(): void {
    if (!this.sortedKeys) return;
    if (++this.stale > 1024 && this.stale * 2 > this.sortedKeys.length) this.invalidateOrder();
  }

  /** Keys in `ns/name` order, as etcd lists them (possibly with removed keys, which readers skip). */
  sorted(): string[] {
    if (!this.sortedKeys) {
      this.sortedKeys = [...this.byKey.keys()].sort();
      this.stale = 0;
      this.pending = [];
    } else if (this.pending.length) {
      const add = this.pending.sort().filter((key, n, a) => n === 0 || a[n - 1] !== key);
      this.pending = [];
      const old = this.sortedKeys;
      const merged: string[] = new Array(old.length + add.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < old.length || j < add.length) {
        // a removed-then-re-added key is in both: keep one
        if (j >= add.length || (i < old.length && old[i] < add[j])) merged[k++] = old[i++];
        else if (i < old.length && old[i] === add[j]) {
          merged[k++] = old[i++];
          j++;
        } else merged[k++] = add[j++];
      }
      merged.length = k;
      this.sortedKeys = merged;
    }
    return this.sortedKeys;
  }
}

export function eventLine(ev: StoredEvent): Buffer {
  ev.line ??= Buffer.from(`{"type":"${ev.type}","object":${ev.json}}\n`);
  return ev.line;
}

export class Store {
  private rv = 0;
  private readonly resources = new Map<string, ResourceStore>();
  /** Events up to this resourceVersion were never in the window (state restored from disk). */
  private floor = 0;
  /** Objects per namespace, all resources together (is a terminating namespace empty yet?). */
  private readonly nsCounts = new Map<string, number>();
  /** owner uid -> dependents, for garbage collection. */
  private readonly dependents = new Map<string, Set<Entry>>();
  readonly byUid = new Map<string, Entry>();
  private readonly eventHooks: Array<(ev: StoredEvent) => void> = [];
  /**
   * Where each write is recorded before it is applied (the durable log, journal.ts); it throws an
   * ApiError when it cannot, and then nothing changes. Null: state in memory only.
   */
  journal: { append(payload: string): void } | null = null;
  /**
   * With an fsync'd log: where the log ends after a write, so its event waits for the fsync that
   * covers it (releaseDurable) before watchers or the resume window see it, as etcd only sends
   * committed events. Null: events go out at once.
   */
  durablePosition: (() => number) | null = null;
  private held: Array<{ r: ResourceStore; ev: StoredEvent; pos: number }> = [];

  private readonly windowLimits: { maxEvents: number; maxBytes: number; freshMs: number };
  private readonly now: () => number;

  /**
   * `maxEvents`, `maxBytes` (of object text): most events kept per resource for watch resumption;
   * each resource keeps those of the last `freshMs` (75 s, as kube-apiserver) within them. `now`:
   * the clock that ages them.
   */
  constructor(maxEvents: number, opts: { maxBytes?: number; freshMs?: number; now?: () => number } = {}) {
    this.windowLimits = { maxEvents: Math.max(1, maxEvents), maxBytes: opts.maxBytes ?? Infinity, freshMs: opts.freshMs ?? EVENT_FRESH_MS };
    this.now = opts.now ?? Date.now;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Called for each committed event after watchers got it (metrics, GC follow-ups). */
  onEvent(hook: (ev: StoredEvent) => void): void {
    this.eventHooks.push(hook);
  }

  resource(storeKey: string): ResourceStore {
    let r = this.resources.get(storeKey);
    if (!r) {
      r = new ResourceStore(this.windowLimits);
      this.resources.set(storeKey, r);
    }
    return r;
  }

  storeKeys(): string[] {
    return [...this.resources.keys()];
  }

  get(storeKey: string, ns: string, name: string): Entry | undefined {
    return this.resources.get(storeKey)?.byKey.get(ns + '/' + name);
  }

  count_(storeKey: string): number {
    return this.resources.get(storeKey)?.byKey.size ?? 0;
  }

  /** Entries in key order, optionally one namespace and starting after a key. */
  *scan(storeKey: string, ns: string | undefined, after?: string): Generator<Entry> {
    const r = this.resources.get(storeKey);
    if (!r) return;
    const keys = r.sorted();
    let i = 0;
    const start = after ?? (ns ? ns + '/' : undefined);
    if (start) {
      // binary search for the first key > after (or >= "ns/")
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (after ? keys[mid] <= start : keys[mid] < start) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    const prefix = ns ? ns + '/' : undefined;
    for (; i < keys.length; i++) {
      const k = keys[i];
      if (prefix && !k.startsWith(prefix)) break;
      const e = r.byKey.get(k);
      if (e) yield e;
    }
  }

  /** Objects stored in a namespace (namespaced resources only). */
  namespaceObjectCount(ns: string): number {
    return this.nsCounts.get(ns) ?? 0;
  }

  /**
   * How many keys (in one namespace, if given) sort after `after`: a page's remainingItemCount
   * without walking them (approximate after removals not yet compacted, as the field allows).
   */
  countAfter(storeKey: string, ns: string | undefined, after: string): number {
    const r = this.resources.get(storeKey);
    if (!r) return 0;
    const keys = r.sorted();
    const firstAbove = (bound: string, inclusive: boolean) => {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inclusive ? keys[mid] < bound : keys[mid] <= bound) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const start = firstAbove(after, false);
    // "/" sorts before every character a name may contain after it, and "0" right after "/".
    const end = ns ? firstAbove(ns + '0', true) : keys.length;
    return Math.max(0, end - start);
  }

  dependentsOf(uid: string): Entry[] {
    const s = this.dependents.get(uid);
    return s ? [...s] : [];
  }

  /** Writes (creates or replaces) an object: new resourceVersion, serialized once, event out. */
  put(storeKey: string, input: WriteInput): Entry {
    const { obj } = input;
    const md = obj.metadata;
    const ns: string = md.namespace ?? '';
    const name: string = md.name;
    const r = this.resource(storeKey);
    const key = ns + '/' + name;
    const prev = r.byKey.get(key);
    const rv = this.rv + 1;
    md.resourceVersion = String(rv);
    let json: string;
    const marker = input.serialized !== undefined ? `"resourceVersion":"${input.serializedRv}"` : '';
    // apiVersion, kind and metadata come first, so the first marker is metadata.resourceVersion.
    const at = marker ? input.serialized!.indexOf(marker) : -1;
    if (at >= 0) json = input.serialized!.slice(0, at) + `"resourceVersion":"${rv}"` + input.serialized!.slice(at + marker.length);
    else json = JSON.stringify(obj);
    this.journal?.append('P' + storeKey + '\t' + json);
    this.rv = rv;
    const labels: Labels | undefined = md.labels && Object.keys(md.labels).length ? md.labels : undefined;
    const ownerUids: string[] | undefined = Array.isArray(md.ownerReferences) && md.ownerReferences.length
      ? md.ownerReferences.map((o: { uid: string }) => o.uid)
      : undefined;
    let entry: Entry;
    let type: EventType;
    let prevLabels: Labels | undefined;
    let prevFields: Record<string, string> | undefined;
    const prevJson = prev?.json;
    if (prev) {
      type = 'MODIFIED';
      prevLabels = prev.labels;
      prevFields = prev.fields;
      this.unindexOwners(prev);
      entry = prev;
      entry.rv = rv;
      entry.json = json;
      entry.labels = labels;
      entry.fields = input.fields;
      entry.ownerUids = ownerUids;
    } else {
      type = 'ADDED';
      entry = { id: storeKey + '|' + key, storeKey, ns, name, uid: md.uid, rv, json, labels, fields: input.fields, ownerUids };
      r.byKey.set(key, entry);
      r.added(key);
      if (ns) this.nsCounts.set(ns, (this.nsCounts.get(ns) ?? 0) + 1);
      if (md.uid) this.byUid.set(md.uid, entry);
    }
    this.indexOwners(entry);
    this.emit(r, { rv, type, storeKey, ns, name, labels, fields: input.fields, prevLabels, prevFields, json, prevJson, line: null });
    return entry;
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion. */
  remove(storeKey: string, entry: Entry, obj: Record<string, any>): void {
    const r = this.resource(storeKey);
    const key = entry.ns + '/' + entry.name;
    if (r.byKey.get(key) !== entry) return;
    const rv = this.rv + 1;
    this.journal?.append('D' + rv + '\t' + storeKey + '\t' + key);
    this.rv = rv;
    r.byKey.delete(key);
    r.removed();
    if (entry.ns) this.nsCounts.set(entry.ns, (this.nsCounts.get(entry.ns) ?? 1) - 1);
    this.byUid.delete(entry.uid);
    this.unindexOwners(entry);
    obj.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(obj);
    this.emit(r, { rv, type: 'DELETED', storeKey, ns: entry.ns, name: entry.name, labels: entry.labels, fields: entry.fields, prevLabels: entry.labels, prevFields: entry.fields, json, prevJson: entry.json, line: null });
  }

  /** Loads an object as it was persisted, keeping its resourceVersion (no event); replaces one of the same name. */
  restore(storeKey: string, obj: Record<string, any>, fields?: Record<string, string>, json = JSON.stringify(obj)): void {
    const md = obj.metadata;
    const r = this.resource(storeKey);
    const ns = md.namespace ?? '';
    const key = ns + '/' + md.name;
    const rv = Number(md.resourceVersion) || 0;
    if (rv > this.rv) this.rv = rv;
    const prev = r.byKey.get(key);
    if (prev) {
      this.unindexOwners(prev);
      this.byUid.delete(prev.uid);
    } else if (ns) this.nsCounts.set(ns, (this.nsCounts.get(ns) ?? 0) + 1);
    const entry: Entry = {
      id: storeKey + '|' + key, storeKey, ns, name: md.name, uid: md.uid, rv, json,
      labels: md.labels && Object.keys(md.labels).length ? md.labels : undefined, fields,
      ownerUids: Array.isArray(md.ownerReferences) && md.ownerReferences.length ? md.ownerReferences.map((o: { uid: string }) => o.uid) : undefined,
    };
    r.byKey.set(key, entry);
    if (!prev) r.invalidateOrder();
    if (md.uid) this.byUid.set(md.uid, entry);
    this.indexOwners(entry);
  }

  /** Replays a removal recorded at `rv` (no event). */
  restoreRemove(storeKey: string, ns: string, name: string, rv: number): void {
    if (rv > this.rv) this.rv = rv;
    const r = this.resources.get(storeKey);
    const entry = r?.byKey.get(ns + '/' + name);
    if (!r || !entry) return;
    r.byKey.delete(ns + '/' + name);
    r.invalidateOrder();
    if (ns) this.nsCounts.set(ns, (this.nsCounts.get(ns) ?? 1) - 1);
    this.byUid.delete(entry.uid);
    this.unindexOwners(entry);
  }

  objectCount(): number {
    let n = 0;
    for (const r of this.resources.values()) n += r.byKey.size;
    return n;
  }

  /** Every object, resource by resource (for snapshots; safe to iterate while writes go on). */
  *entries(): Generator<Entry> {
    for (const r of this.resources.values()) yield* r.byKey.values();
  }

  /** After a restore: the events before `rv` were not kept, so no watch can resume from before it. */
  setResourceVersion(rv: number): void {
    if (rv > this.rv) this.rv = rv;
    this.floor = this.rv;
  }

  /** Oldest resourceVersion a watch of this resource can resume from (exclusive); its events after it are all kept. */
  oldestResumable(storeKey: string): number {
    return Math.max(this.floor, this.resources.get(storeKey)?.window.droppedTo ?? 0);
  }

  /** Events of one resource after `rv`, or null if that is older than its window. */
  eventsSince(storeKey: string, rv: number): StoredEvent[] | null {
    if (rv < this.oldestResumable(storeKey)) return null;
    return this.resources.get(storeKey)?.window.since(rv) ?? [];
  }

  addWatcher(storeKey: string, w: WatcherSink): void {
    this.resource(storeKey).watchers.add(w);
  }

  /** Ends every watch of a resource: how it is served changed (a CRD's versions). */
  closeWatchers(storeKey: string): void {
    for (const w of [...(this.resources.get(storeKey)?.watchers ?? [])]) w.close?.();
  }

  removeWatcher(storeKey: string, w: WatcherSink): void {
    this.resources.get(storeKey)?.watchers.delete(w);
  }

  /** The most any watch's client has still to read: how far behind the slowest client is. */
  watchBacklogBytes(): number {
    let most = 0;
    for (const r of this.resources.values()) for (const w of r.watchers) most = Math.max(most, w.backlogBytes?.() ?? 0);
    return most;
  }

    watcherCount(): number {
    let n = 0;
    for (const r of this.resources.values()) n += r.watchers.size;
    return n;
  }

  /** Drops a whole resource (a deleted CRD's objects), emitting nothing. */
  dropResource(storeKey: string): void {
    const r = this.resources.get(storeKey);
    if (!r) return;
    for (const e of r.byKey.values()) {
      this.byUid.delete(e.uid);
      this.unindexOwners(e);
      if (e.ns) this.nsCounts.set(e.ns, (this.nsCounts.get(e.ns) ?? 1) - 1);
    }
    r.byKey.clear();
    r.invalidateOrder();
  }

  /** The newest resourceVersion whose events are all out (what a bookmark may claim). */
  get publishedResourceVersion(): number {
    return this.held.length ? this.held[0].ev.rv - 1 : this.rv;
  }

  /** The log is durable up to `pos`: the events written before it go out, in order. */
  releaseDurable(pos: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n].pos <= pos) {
      const h = this.held[n++];
      this.publish(h.r, h.ev);
    }
    if (n) this.held.splice(0, n);
  }

  private emit(r: ResourceStore, ev: StoredEvent): void {
    if (this.durablePosition) this.held.push({ r, ev, pos: this.durablePosition() });
    else this.publish(r, ev);
  }

  private publish(r: ResourceStore, ev: StoredEvent): void {
    r.window.push(ev, this.now());
    for (const w of r.watchers) w.deliver(ev);
    // The watchers wrote its line (delivery is synchronous); a resume rebuilds it, so the window
    // does not hold a second copy of every object it keeps.
    ev.line = null;
    for (const h of this.eventHooks) h(ev);
  }

  private indexOwners(e: Entry): void {
    if (!e.ownerUids) return;
    for (const u of e.ownerUids) {
      let s = this.dependents.get(u);
      if (!s) {
        s = new Set();
        this.dependents.set(u, s);
      }
      s.add(e);
    }
  }

  private unindexOwners(e: Entry): void {
    if (!e.ownerUids) return;
    for (const u of e.ownerUids) {
      const s = this.dependents.get(u);
      if (s) {
        s.delete(e);
        if (s.size === 0) this.dependents.delete(u);
      }
    }
  }
}
