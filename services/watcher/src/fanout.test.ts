import { describe, expect, it } from 'vitest';
import { slotOf, type ObjectEvent } from '@virtsim/bus';
import type { KubeObject } from '@virtsim/kube';
import { Fanout } from './fanout.ts';

const vmi = (name: string, node: string | undefined, rv: string): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace: 'default', resourceVersion: rv },
  status: node ? { nodeName: node, phase: 'Scheduled' } : { phase: 'Pending' },
});

function setup() {
  const sent: ObjectEvent[] = [];
  const unrouted: string[] = [];
  const f = new Fanout(() => undefined, { published: () => {}, unrouted: (k) => unrouted.push(k) });
  f.publish = (e) => sent.push(e);
  return { f, sent, unrouted };
}

describe('Fanout', () => {
  it('publishes to the node slot, and a snapshot of that slot returns the object', () => {
    const { f, sent } = setup();
    f.onEvent('VirtualMachineInstance', 'ADDED', vmi('a', 'node-1', '1'), 0);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'ADDED', node: 'node-1' });
    const snap = [...f.snapshot([slotOf('node-1')])];
    expect(snap.map((s) => s.object.metadata.name)).toEqual(['a']);
  });

  it('keeps objects that are on no node away from agents, and counts them', () => {
    const { f, sent, unrouted } = setup();
    f.onEvent('VirtualMachineInstance', 'ADDED', vmi('p', undefined, '1'), 0);
    expect(sent).toHaveLength(0);
    expect(unrouted).toEqual(['VirtualMachineInstance']);
    // Scheduling puts it on a node: the agent sees it as new.
    f.onEvent('VirtualMachineInstance', 'MODIFIED', vmi('p', 'node-2', '2'), 0);
    expect(sent.map((e) => [e.type, e.node])).toEqual([['ADDED', 'node-2']]);
  });

  it('tells the old slot to let go when an object moves node', () => {
    const { f, sent } = setup();
    f.onEvent('VirtualMachineInstance', 'ADDED', vmi('m', 'src', '1'), 0);
    f.onEvent('VirtualMachineInstance', 'MODIFIED', vmi('m', 'dst', '2'), 0);
    expect(sent.map((e) => [e.type, e.node])).toEqual([
      ['ADDED', 'src'],
      ['DELETED', 'src'],
      ['ADDED', 'dst'],
    ]);
    expect([...f.snapshot([slotOf('src')])].filter((i) => i.object.metadata.name === 'm')).toHaveLength(slotOf('src') === slotOf('dst') ? 1 : 0);
    f.onEvent('VirtualMachineInstance', 'DELETED', vmi('m', 'dst', '3'), 0);
    expect(sent.at(-1)).toMatchObject({ type: 'DELETED', node: 'dst' });
    expect(f.size).toBe(0);
  });

  it('indexes but does not publish while standby', () => {
    const { f, sent } = setup();
    f.publish = null;
    f.onEvent('Node', 'ADDED', { metadata: { name: 'n' } } as KubeObject, 0);
    expect(sent).toHaveLength(0);
    expect([...f.snapshot([slotOf('n')])]).toHaveLength(1);
  });

  it('publishes a migrating VMI to its source and target nodes, and lets the source go once it has moved', () => {
    const { f, sent } = setup();
    const migrating = (rv: string, node: string, target: string | undefined, completed = false): KubeObject => ({
      ...vmi('mig', node, rv),
      status: { phase: 'Running', nodeName: node, migrationState: target ? { targetNode: target, sourceNode: 'src', completed } : undefined },
    });
    f.onEvent('VirtualMachineInstance', 'ADDED', migrating('1', 'src', undefined), 0);
    f.onEvent('VirtualMachineInstance', 'MODIFIED', migrating('2', 'src', 'dst'), 0);
    f.onEvent('VirtualMachineInstance', 'MODIFIED', migrating('3', 'dst', 'dst', true), 0);
    expect(sent.map((e) => [e.type, e.node, e.object.metadata.resourceVersion])).toEqual([
      ['ADDED', 'src', '1'],
      ['MODIFIED', 'src', '2'],
      ['ADDED', 'dst', '2'],
      ['DELETED', 'src', '3'],
      ['MODIFIED', 'dst', '3'],
    ]);
    expect([...f.snapshot([slotOf('dst')])].map((i) => i.node)).toEqual(['dst']);
  });

  it('serves snapshots from the JSON text of the whole object, and keeps only its metadata parsed', () => {
    const { f } = setup();
    const obj = vmi('j', 'node-3', '1');
    f.onEvent('VirtualMachineInstance', 'ADDED', obj, 0, '{"text":"as the watch line carried it"}');
    f.onEvent('VirtualMachineInstance', 'ADDED', vmi('k', 'node-3', '1'), 0);
    const snap = [...f.snapshot([slotOf('node-3')])];
    expect(snap.find((i) => i.object.metadata.name === 'j')?.json).toBe('{"text":"as the watch line carried it"}');
    expect(JSON.parse(snap.find((i) => i.object.metadata.name === 'k')!.json!)).toEqual(vmi('k', 'node-3', '1'));
    expect(snap.find((i) => i.object.metadata.name === 'j')?.object.metadata).toMatchObject({ name: 'j', namespace: 'default', resourceVersion: '1' });
  });

  it('sends the last whole version with a DELETED that carries only what the caches kept (found by a relist)', () => {
    const { f, sent } = setup();
    const whole = vmi('r', 'node-4', '5');
    f.onEvent('VirtualMachineInstance', 'ADDED', whole, 0);
    f.onEvent('VirtualMachineInstance', 'DELETED', { metadata: { name: 'r', namespace: 'default', resourceVersion: '5' } }, 0);
    expect(sent.at(-1)).toMatchObject({ type: 'DELETED', node: 'node-4' });
    expect(JSON.parse(sent.at(-1)!.json!)).toEqual(whole);
    expect(f.size).toBe(0);
  });
});
