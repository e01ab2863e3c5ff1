import { describe, expect, it } from 'vitest';
import { Store, type StoredEvent } from './store.ts';

const obj = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', uid: `uid-${name}` }, ...extra });

describe('Store', () => {
  it('holds events until the log is durable past them, then sends them in order', () => {
    const s = new Store(10);
    let pos = 0;
    s.journal = { append: () => void (pos += 100) };
    s.durablePosition = () => pos;
    const seen: number[] = [];
    s.addWatcher('/configmaps', { deliver: (ev) => void seen.push(ev.rv) });
    s.put('/configmaps', { obj: obj('a') });
    s.put('/configmaps', { obj: obj('b') });
    expect(seen).toEqual([]);
    expect(s.eventsSince('/configmaps', 0)).toEqual([]);
    expect(s.publishedResourceVersion).toBe(0);
    s.releaseDurable(100);
    expect(seen).toEqual([1]);
    expect(s.publishedResourceVersion).toBe(1);
    s.releaseDurable(200);
    expect(seen).toEqual([1, 2]);
    expect(s.eventsSince('/configmaps', 0)!.map((e) => e.rv)).toEqual([1, 2]);
    expect(s.publishedResourceVersion).toBe(2);
  });

  it('records each write before applying it, and changes nothing when the record cannot be written', () => {
    const s = new Store(10);
    const records: string[] = [];
    let full = false;
    s.journal = { append: (p) => (full ? (() => { throw new Error('ENOSPC'); })() : void records.push(p)) };
    const events: StoredEvent[] = [];
    s.onEvent((ev) => events.push(ev));
    const a = s.put('/configmaps', { obj: obj('a') });
    s.remove('/configmaps', a, obj('a'));
    expect(records).toEqual([`P/configmaps\t${JSON.stringify({ ...obj('a'), metadata: { ...obj('a').metadata, resourceVersion: '1' } })}`, 'D2\t/configmaps\tns/a']);
    const b = s.put('/configmaps', { obj: obj('b') });
    full = true;
    expect(() => s.put('/configmaps', { obj: obj('c') })).toThrow('ENOSPC');
    expect(() => s.remove('/configmaps', b, obj('b'))).toThrow('ENOSPC');
    expect(s.get('/configmaps', 'ns', 'c')).toBeUndefined();
    expect(s.get('/configmaps', 'ns', 'b')).toBe(b);
    expect(s.resourceVersion).toBe(3);
    expect(events.map((e) => e.rv)).toEqual([1, 2, 3]);
  });

  it('gives every write the next global resourceVersion and keeps one serialized copy', () => {
    const s = new Store(10);
    const a = s.put('/configmaps', { obj: obj('a') });
    const b = s.put('/secrets', { obj: { ...obj('b'), kind: 'Secret' } });
    expect([a.rv, b.rv]).toEqual([1, 2]);
    expect(JSON.parse(s.get('/configmaps', 'ns', 'a')!.json).metadata.resourceVersion).toBe('1');
    const a2 = s.put('/configmaps', { obj: obj('a', { data: { x: 'y' } }) });
    expect(a2).toBe(a);
    expect(a2.rv).toBe(3);
  });

  it('splices the new resourceVersion into JSON serialized for the no-op check', () => {
    const s = new Store(10);
    s.put('/configmaps', { obj: obj('a') });
    const o = { ...obj('a', { data: { v: '"resourceVersion":"1"' } }) } as Record<string, any>;
    o.metadata.resourceVersion = '1';
    const serialized = JSON.stringify(o);
    const e = s.put('/configmaps', { obj: o, serialized, serializedRv: '1' });
    expect(JSON.parse(e.json)).toEqual({ ...o, metadata: { ...o.metadata, resourceVersion: '2' } });
  });

  it('replays events after a resourceVersion, and refuses one older than the window', () => {
    const s = new Store(3);
    for (let i = 0; i < 5; i++) s.put('/configmaps', { obj: obj('a', { data: { i: String(i) } }) });
    expect(s.eventsSince('/configmaps', 3)!.map((e) => e.rv)).toEqual([4, 5]);
    expect(s.oldestResumable('/configmaps')).toBe(2);
    expect(s.eventsSince('/configmaps', 2)!.map((e) => e.rv)).toEqual([3, 4, 5]);
    expect(s.eventsSince('/configmaps', 1)).toBeNull();
  });

  it('keeps a window per resource: a burst of Lease renewals does not push out the VMIs\' events', () => {
    const s = new Store(3);
    s.put('/configmaps', { obj: obj('a') });
    for (let i = 0; i < 10; i++) s.put('/leases', { obj: obj('node-1', { spec: { renewTime: String(i) } }) });
    expect(s.eventsSince('/configmaps', 0)!.map((e) => e.name)).toEqual(['a']);
    expect(s.eventsSince('/leases', 8)!.map((e) => e.rv)).toEqual([9, 10, 11]);
    expect(s.eventsSince('/leases', 7)).toBeNull();
  });

  it('keeps each resource\'s events of the last 75 seconds and drops older ones as new ones come', () => {
    let now = 0;
    const s = new Store(1000, { now: () => now });
    s.put('/configmaps', { obj: obj('a') });
    now = 60_000;
    s.put('/configmaps', { obj: obj('b') });
    expect(s.eventsSince('/configmaps', 0)!.map((e) => e.name)).toEqual(['a', 'b']);
    now = 80_000;
    s.put('/configmaps', { obj: obj('c') });
    expect(s.oldestResumable('/configmaps')).toBe(1);
    expect(s.eventsSince('/configmaps', 0)).toBeNull();
    expect(s.eventsSince('/configmaps', 1)!.map((e) => e.name)).toEqual(['b', 'c']);
    // A quiet resource keeps its last events however old: nothing newer pushed them out.
    now = 10_000_000;
    expect(s.eventsSince('/configmaps', 1)!.map((e) => e.name)).toEqual(['b', 'c']);
  });

  it('keeps at most maxBytes of a resource\'s object text, always the newest event', () => {
    const s = new Store(1000, { maxBytes: 500 });
    const big = (i: number) => ({ obj: obj('a', { data: { v: String(i).repeat(100) } }) });
    for (let i = 0; i < 3; i++) s.put('/configmaps', big(i));
    // Each version is about 210 bytes of JSON: the two newest fit.
    expect(s.eventsSince('/configmaps', 1)!.map((e) => e.rv)).toEqual([2, 3]);
    expect(s.eventsSince('/configmaps', 0)).toBeNull();
    s.put('/configmaps', { obj: obj('b', { data: { v: 'x'.repeat(1000) } }) });
    expect(s.eventsSince('/configmaps', 3)!.map((e) => e.rv)).toEqual([4]);
  });

  it('refuses to resume from before a restore, whose events were not kept', () => {
    const s = new Store(10);
    s.restore('/configmaps', { ...obj('a'), metadata: { ...obj('a').metadata, resourceVersion: '40' } });
    s.setResourceVersion(41);
    expect(s.eventsSince('/configmaps', 30)).toBeNull();
    expect(s.eventsSince('/configmaps', 41)).toEqual([]);
    s.put('/configmaps', { obj: obj('b') });
    expect(s.eventsSince('/configmaps', 41)!.map((e) => e.rv)).toEqual([42]);
  });

  it('keeps key order through creates and removals made after a list, and counts objects per namespace', () => {
    const s = new Store(10);
    for (const n of ['b', 'd']) s.put('/configmaps', { obj: obj(n) });
    expect([...s.scan('/configmaps', 'ns')].map((e) => e.name)).toEqual(['b', 'd']);
    s.put('/configmaps', { obj: obj('c') });
    s.put('/configmaps', { obj: obj('a') });
    s.remove('/configmaps', s.get('/configmaps', 'ns', 'd')!, obj('d'));
    expect([...s.scan('/configmaps', 'ns')].map((e) => e.name)).toEqual(['a', 'b', 'c']);
    s.put('/configmaps', { obj: obj('d') });
    expect([...s.scan('/configmaps', 'ns')].map((e) => e.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(s.namespaceObjectCount('ns')).toBe(4);
    // added, removed and added again between two lists: listed once
    s.put('/configmaps', { obj: obj('e') });
    s.remove('/configmaps', s.get('/configmaps', 'ns', 'e')!, obj('e'));
    s.put('/configmaps', { obj: obj('e') });
    expect([...s.scan('/configmaps', 'ns')].map((e) => e.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    s.remove('/configmaps', s.get('/configmaps', 'ns', 'e')!, obj('e'));
    s.remove('/configmaps', s.get('/configmaps', 'ns', 'a')!, obj('a'));
    expect(s.namespaceObjectCount('ns')).toBe(3);
  });

  it('hands the same event (one serialization) to every watcher', () => {
    const s = new Store(10);
    const got: StoredEvent[] = [];
    s.addWatcher('/configmaps', { deliver: (e) => got.push(e) });
    s.addWatcher('/configmaps', { deliver: (e) => got.push(e) });
    s.put('/configmaps', { obj: obj('a') });
    expect(got).toHaveLength(2);
    expect(got[0]).toBe(got[1]);
  });

  it('indexes dependents by owner uid and scans in key order from a continue key', () => {
    const s = new Store(10);
    s.put('/configmaps', { obj: obj('c') });
    s.put('/configmaps', { obj: obj('a', { metadata: { name: 'a', namespace: 'ns', uid: 'uid-a', ownerReferences: [{ uid: 'owner-1' }] } }) });
    s.put('/configmaps', { obj: obj('b') });
    expect([...s.scan('/configmaps', 'ns')].map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect([...s.scan('/configmaps', 'ns', 'ns/a')].map((e) => e.name)).toEqual(['b', 'c']);
    expect(s.dependentsOf('owner-1').map((e) => e.name)).toEqual(['a']);
    expect(s.countAfter('/configmaps', 'ns', 'ns/a')).toBe(2);
    expect(s.countAfter('/configmaps', undefined, 'ns/c')).toBe(0);
    s.put('/configmaps', { obj: { ...obj('z'), metadata: { name: 'z', namespace: 'nt', uid: 'uid-z' } } });
    expect(s.countAfter('/configmaps', 'ns', 'ns/a')).toBe(2);
    expect(s.countAfter('/configmaps', undefined, 'ns/a')).toBe(3);
    s.remove('/configmaps', s.get('/configmaps', 'ns', 'a')!, obj('a'));
    expect(s.dependentsOf('owner-1')).toEqual([]);
  });
});
