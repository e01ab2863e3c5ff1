import { describe, expect, it } from 'vitest';
import { sweepExpiredEvents } from './event-ttl.ts';
import { Store, type StoredEvent } from './store.ts';

describe('event TTL', () => {
  it('removes events older than the TTL, with a DELETED event, and keeps newer ones and other kinds', () => {
    const s = new Store(100);
    const ev = (name: string, ts: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'ns', uid: name, creationTimestamp: ts } });
    s.put('/events', { obj: ev('old', '2026-01-01T00:00:00Z') });
    s.put('/events', { obj: ev('new', '2026-01-01T01:30:00Z') });
    s.put('/configmaps', { obj: { ...ev('cm', '2026-01-01T00:00:00Z'), kind: 'ConfigMap' } });
    const seen: StoredEvent[] = [];
    s.addWatcher('/events', { deliver: (e) => seen.push(e) });
    expect(sweepExpiredEvents(s, 3600_000, Date.parse('2026-01-01T02:00:00Z'))).toBe(1);
    expect(s.get('/events', 'ns', 'old')).toBeUndefined();
    expect(s.get('/events', 'ns', 'new')).toBeDefined();
    expect(s.get('/configmaps', 'ns', 'cm')).toBeDefined();
    expect(seen.map((e) => `${e.type} ${e.name}`)).toEqual(['DELETED old']);
  });
});
