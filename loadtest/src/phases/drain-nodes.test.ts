import { describe, expect, it } from 'vitest';
import { seededRandom } from '../run-context.ts';
import { chooseDrainNodes, type DrainCandidate } from './drain-nodes.ts';

const nodes = (n: number, real: number[] = []): DrainCandidate[] => Array.from({ length: n }, (_, i) => ({ name: `node-${String(i).padStart(2, '0')}`, vmis: 1 + (i % 3), virtsim: !real.includes(i) }));

describe('chooseDrainNodes', () => {
  it('picks the same nodes for the same seed, whatever order the candidates come in', () => {
    const a = chooseDrainNodes(nodes(20), { nodes: 4 }, false, seededRandom(7));
    const b = chooseDrainNodes(nodes(20).reverse(), { nodes: 4 }, false, seededRandom(7));
    expect(a.chosen).toHaveLength(4);
    expect(new Set(a.chosen).size).toBe(4);
    expect(b.chosen).toEqual(a.chosen);
    expect(chooseDrainNodes(nodes(20), { nodes: 4 }, false, seededRandom(8)).chosen).not.toEqual(a.chosen);
  });

  it('takes a percent of the nodes hosting VMIs, at least one, and never a node without VMIs', () => {
    const c = [...nodes(10), { name: 'empty', vmis: 0, virtsim: true }];
    expect(chooseDrainNodes(c, { percent: 30 }, false, seededRandom(1)).chosen).toHaveLength(3);
    expect(chooseDrainNodes(c, { percent: 1 }, false, seededRandom(1)).chosen).toHaveLength(1);
    expect(chooseDrainNodes(c, { nodes: 50 }, false, seededRandom(1)).chosen).not.toContain('empty');
    expect(chooseDrainNodes(c, { nodes: 50 }, false, seededRandom(1)).chosen).toHaveLength(10);
  });

  it('leaves nodes virtsim did not make alone unless allowed, and says which', () => {
    const c = nodes(4, [1, 3]);
    const refused = chooseDrainNodes(c, { nodes: 4 }, false, seededRandom(1));
    expect(refused.chosen.sort()).toEqual(['node-00', 'node-02']);
    expect(refused.refusedRealNodes).toEqual(['node-01', 'node-03']);
    const allowed = chooseDrainNodes(c, { nodes: 4 }, true, seededRandom(1));
    expect(allowed.chosen).toHaveLength(4);
    expect(allowed.refusedRealNodes).toEqual([]);
  });
});
