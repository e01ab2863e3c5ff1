import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { EVACUATION_ANNOTATION, evacuationMigration, planEvacuation, type EvacuationInput } from './evacuation.ts';

const NODE = 'node01';

function vmi(name: string, o: { node?: string; phase?: string; migratable?: boolean; strategy?: string } = {}): KubeObject {
  return {
    metadata: { name, namespace: 'ns' },
    spec: o.strategy ? { evictionStrategy: o.strategy } : {},
    status: { phase: o.phase ?? 'Running', nodeName: o.node ?? NODE, evacuationNodeName: NODE, conditions: [{ type: 'LiveMigratable', status: o.migratable === false ? 'False' : 'True' }] },
  } as KubeObject;
}

const migration = (vmiName: string): KubeObject => ({ metadata: { name: `m-${vmiName}`, namespace: 'ns' }, spec: { vmiName }, status: { phase: 'Running' } }) as KubeObject;

function plan(marked: KubeObject[], active: KubeObject[] = [], inFlight: Array<[string, string]> = [], others: KubeObject[] = []) {
  const all = new Map([...marked, ...others].map((v) => [`ns/${v.metadata.name}`, v]));
  const input: EvacuationInput = { node: NODE, marked, active, vmiOf: (m) => all.get(`ns/${m.spec.vmiName}`), inFlight: new Map(inFlight) };
  const p = planEvacuation(input);
  return { migrate: p.migrate.map((v) => v.metadata.name), clear: p.clear.map((v) => v.metadata.name), waiting: p.waiting };
}

describe('evacuation planning (KubeVirt evacuation controller rules)', () => {
  it('migrates at most 2 VMIs out of one node at a time', () => {
    expect(plan([vmi('a'), vmi('b'), vmi('c')])).toEqual({ migrate: ['a', 'b'], clear: [], waiting: 1 });
  });

  it('counts running and just-created migrations against the node and the cluster', () => {
    expect(plan([vmi('a'), vmi('b'), vmi('c')], [migration('a')])).toEqual({ migrate: ['b'], clear: [], waiting: 1 });
    expect(plan([vmi('a'), vmi('b'), vmi('c')], [], [['ns/a', NODE], ['ns/b', NODE]])).toEqual({ migrate: [], clear: [], waiting: 1 });
    const elsewhere = ['x', 'y', 'z', 'w'].map((n) => vmi(n, { node: 'node02' }));
    // 4 migrations out of another node: one cluster spot (of 5) left.
    expect(plan([vmi('a'), vmi('b')], elsewhere.map((v) => migration(v.metadata.name)), [], elsewhere)).toEqual({ migrate: ['a'], clear: [], waiting: 1 });
  });

  it('leaves alone what cannot or need not migrate, and clears the mark of a VMI that left', () => {
    expect(plan([vmi('nm', { migratable: false }), vmi('ext', { strategy: 'External' }), vmi('sched', { phase: 'Scheduled' })])).toEqual({ migrate: [], clear: [], waiting: 0 });
    expect(plan([vmi('moved', { node: 'node02' }), vmi('done', { phase: 'Failed' })])).toEqual({ migrate: [], clear: ['moved', 'done'], waiting: 0 });
    // Still migrating: the mark stays until the migration ends.
    expect(plan([vmi('moving', { node: 'node02' })], [migration('moving')])).toEqual({ migrate: [], clear: [], waiting: 0 });
  });

  it('names the migration as KubeVirt does', () => {
    expect(evacuationMigration(vmi('a'), NODE)).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { generateName: 'kubevirt-evacuation-', namespace: 'ns', annotations: { [EVACUATION_ANNOTATION]: NODE } },
      spec: { vmiName: 'a' },
    });
  });
});
