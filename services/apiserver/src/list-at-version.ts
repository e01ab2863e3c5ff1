/**
 * A LIST at an older resourceVersion (`resourceVersionMatch=Exact`, and the later pages of a
 * paginated LIST): kube-apiserver reads etcd at that revision; here the objects of one resource
 * are rebuilt from their current state by undoing the events of the watch window, newest first.
 */
import { indexFields } from './builtins.ts';
import type { Entry, Labels, Store } from './store.ts';

/** What the selectors and the LIST writer read of an object. */
export type ListedEntry = Pick<Entry, 'ns' | 'name' | 'json' | 'labels' | 'fields'>;

/** The objects of `storeKey` (in `ns`, or all) as they were at `rv`, in key order; null when `rv` is older than the window. */
export function entriesAt(store: Store, storeKey: string, ns: string | undefined, rv: number): ListedEntry[] | null {
  const events = store.eventsSince(storeKey, rv);
  if (!events) return null;
  const byKey = new Map<string, ListedEntry>();
  for (const e of store.scan(storeKey, ns)) byKey.set(e.ns + '/' + e.name, e);
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i]!;
    if (ns !== undefined && ev.ns !== ns) continue;
    const key = ev.ns + '/' + ev.name;
    // Created after rv: it was not there. Changed or deleted after rv: it was as before that event.
    if (ev.type === 'ADDED' || ev.prevJson === undefined) byKey.delete(key);
    else byKey.set(key, listedFrom(storeKey, ev.ns, ev.name, ev.prevJson));
  }
  return [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

function listedFrom(storeKey: string, ns: string, name: string, json: string): ListedEntry {
  const obj = JSON.parse(json);
  const l = obj.metadata?.labels;
  const labels: Labels | undefined = l && Object.keys(l).length ? l : undefined;
  return { ns, name, json, labels, fields: indexFields(storeKey, obj) };
}
