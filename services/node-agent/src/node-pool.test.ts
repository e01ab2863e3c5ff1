import { describe, expect, it } from 'vitest';
import { SLOT_COUNT, slotOf } from '@virtsim/bus';
import { NodePool } from './node-pool.ts';

describe('NodePool', () => {
  it('names nodes by pattern and finds every node through its slot', () => {
    const pool = new NodePool({ name: 'p', count: 300 });
    expect(pool.has('virtsim-node-00000')).toBe(true);
    expect(pool.has('virtsim-node-00299')).toBe(true);
    expect(pool.has('virtsim-node-00300')).toBe(false);
    const all = pool.nodesOfSlots(Array.from({ length: SLOT_COUNT }, (_, i) => i));
    expect(all).toHaveLength(300);
    const some = pool.nodesOfSlots([slotOf('virtsim-node-00042')]);
    expect(some).toContain('virtsim-node-00042');
    expect(some.every((n) => slotOf(n) === slotOf('virtsim-node-00042'))).toBe(true);
  });

  it('refuses a pattern without an index with a reason', () => {
    expect(() => new NodePool({ name: 'p', count: 3, namePattern: 'node' })).toThrow(/namePattern "node" has no \{i\}/);
  });

  it('labels nodes with the pool so the watcher picks them up', () => {
    const n = new NodePool({ name: 'gpu', count: 1, labels: { zone: 'a' } }).nodeObject('virtsim-node-00000');
    expect(n.metadata.labels).toMatchObject({ 'virtsim.io/pool': 'gpu', zone: 'a', type: 'kwok' });
  });
});
