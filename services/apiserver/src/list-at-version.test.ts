import { describe, expect, it } from 'vitest';
import { ListSnapshots, type ListSnapshot } from './list-at-version.ts';
import { Store } from './store.ts';

const CM = '/configmaps';
const cm = (name: string, data: string, ns = 'ns') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, uid: `uid-${ns}-${name}` }, data: { v: data } });
const put = (s: Store, name: string, data: string, ns = 'ns') => s.put(CM, { obj: cm(name, data, ns) });
/** `name=data` of each listed entry, in the order listed. */
const seen = (entries: Iterable<{ name: string; json: string }>) => [...entries].map((e) => `${e.name}=${JSON.parse(e.json).data.v}`);
const all = (snap: ListSnapshot | null) => seen(snap!.after(undefined));

describe('ListSnapshots', () => {
  it('rebuilds the objects as they were at a resourceVersion: later creations gone, changes and deletions undone, in key order', () => {
    const s = new Store(100);
    put(s, 'b', '1');
    put(s, 'd', '1');
    put(s, 'c', '1');
    const rv = s.resourceVersion;
    put(s, 'a', '2'); // created after rv
    put(s, 'c', '2'); // changed after rv
    s.remove(CM, s.get(CM, 'ns', 'b')!, cm('b', '1')); // deleted after rv
    put(s, 'd', '2');
    put(s, 'd', '3'); // changed twice: the first change's old state counts
    const snap = new ListSnapshots(s).at(CM, 'ns', rv);
    expect(all(snap)).toEqual(['b=1', 'c=1', 'd=1']);
  });

  it('pages from a key and counts what remains after it', () => {
    const s = new Store(100);
    for (const n of ['a', 'b', 'c', 'd', 'e']) put(s, n, '1');
    const rv = s.resourceVersion;
    put(s, 'f', '1');
    const snap = new ListSnapshots(s).at(CM, undefined, rv)!;
    expect(snap.size).toBe(5);
    expect(seen(snap.after('ns/b'))).toEqual(['c=1', 'd=1', 'e=1']);
    expect(snap.countAfter('ns/b')).toBe(3);
    expect(snap.countAfter('ns/e')).toBe(0);
    // A key between two entries (the one a page ended on was deleted since): the next one on.
    expect(seen(snap.after('ns/bb'))).toEqual(['c=1', 'd=1', 'e=1']);
  });

  it('keeps one namespace apart from the others and from the whole resource', () => {
    const s = new Store(100);
    put(s, 'x', '1', 'one');
    put(s, 'x', '1', 'two');
    const rv = s.resourceVersion;
    put(s, 'x', '2', 'one');
    put(s, 'y', '2', 'two');
    const snaps = new ListSnapshots(s);
    expect(all(snaps.at(CM, 'one', rv))).toEqual(['x=1']);
    expect(all(snaps.at(CM, 'two', rv))).toEqual(['x=1']);
    expect(all(snaps.at(CM, undefined, rv))).toEqual(['x=1', 'x=1']);
    expect(snaps.builds).toBe(3);
  });

  it('builds a snapshot once for all the pages that read it, and it does not follow later writes', () => {
    const s = new Store(100);
    put(s, 'a', '1');
    put(s, 'b', '1');
    const rv = s.resourceVersion;
    put(s, 'a', '2');
    const snaps = new ListSnapshots(s);
    expect(all(snaps.at(CM, 'ns', rv))).toEqual(['a=1', 'b=1']);
    // The store updates its entries in place: a kept snapshot must still show the old state.
    put(s, 'b', '2');
    s.remove(CM, s.get(CM, 'ns', 'a')!, cm('a', '2'));
    put(s, 'c', '1');
    expect(all(snaps.at(CM, 'ns', rv))).toEqual(['a=1', 'b=1']);
    expect(snaps.builds).toBe(1);
  });

  it('is null for a resourceVersion older than the event window, unless a page already kept it', () => {
    const s = new Store(3);
    put(s, 'a', '1');
    const rv = s.resourceVersion;
    const snaps = new ListSnapshots(s);
    put(s, 'a', '2');
    expect(all(snaps.at(CM, 'ns', rv))).toEqual(['a=1']);
    for (let i = 3; i < 10; i++) put(s, 'a', String(i));
    expect(s.eventsSince(CM, rv)).toBeNull();
    expect(all(snaps.at(CM, 'ns', rv))).toEqual(['a=1']);
    expect(new ListSnapshots(s).at(CM, 'ns', rv)).toBeNull();
  });

  it('drops a snapshot no page has read for idleMs, and the least recently read beyond max', () => {
    const s = new Store(100);
    put(s, 'a', '1');
    const rvs = [s.resourceVersion];
    for (let i = 2; i <= 4; i++) {
      put(s, 'a', String(i));
      rvs.push(s.resourceVersion);
    }
    const snaps = new ListSnapshots(s, { idleMs: 1000, max: 2 });
    snaps.at(CM, 'ns', rvs[0]!, 0);
    snaps.at(CM, 'ns', rvs[1]!, 100);
    snaps.at(CM, 'ns', rvs[0]!, 200); // read again: rvs[1] is now the least recently read
    snaps.at(CM, 'ns', rvs[2]!, 300);
    expect(snaps.keptCount).toBe(2);
    expect(snaps.builds).toBe(3);
    snaps.at(CM, 'ns', rvs[0]!, 400);
    expect(snaps.builds).toBe(3);
    snaps.at(CM, 'ns', rvs[1]!, 500);
    expect(snaps.builds).toBe(4);
    snaps.dropIdle(1399);
    expect(snaps.keptCount).toBe(2);
    snaps.dropIdle(1400);
    expect(snaps.keptCount).toBe(1);
    snaps.dropIdle(1500);
    expect(snaps.keptCount).toBe(0);
  });
});
