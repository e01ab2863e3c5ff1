import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { partitionNode } from './partition.ts';

const obj = (o: Omit<Partial<KubeObject>, 'metadata'> & { metadata?: Partial<KubeObject['metadata']> }): KubeObject =>
  ({ ...o, metadata: { name: 'x', namespace: 'default', ...o.metadata } }) as KubeObject;

describe('partitionNode', () => {
  const none = () => undefined;
  it('routes nodes by name and pods by spec.nodeName', () => {
    expect(partitionNode('Node', obj({ metadata: { name: 'n1' } }), none)).toBe('n1');
    expect(partitionNode('Pod', obj({ spec: { nodeName: 'n2' } }), none)).toBe('n2');
    expect(partitionNode('Pod', obj({ spec: {} }), none)).toBeUndefined();
  });

  it('routes a VMI by status.nodeName, falling back to the kubevirt.io/nodeName label', () => {
    expect(partitionNode('VirtualMachineInstance', obj({ status: { nodeName: 'a' } }), none)).toBe('a');
    expect(partitionNode('VirtualMachineInstance', obj({ metadata: { labels: { 'kubevirt.io/nodeName': 'b' } } }), none)).toBe('b');
    expect(partitionNode('VirtualMachineInstance', obj({ status: { phase: 'Pending' } }), none)).toBeUndefined();
  });

  it('routes a migration to its VMI source node', () => {
    const vmi = obj({ metadata: { name: 'vm1' }, status: { nodeName: 'src' } });
    const lookup = (ns: string, name: string) => (ns === 'default' && name === 'vm1' ? vmi : undefined);
    expect(partitionNode('VirtualMachineInstanceMigration', obj({ spec: { vmiName: 'vm1' } }), lookup)).toBe('src');
    expect(partitionNode('VirtualMachineInstanceMigration', obj({ spec: { vmiName: 'other' } }), lookup)).toBeUndefined();
    expect(
      partitionNode('VirtualMachineInstanceMigration', obj({ spec: { vmiName: 'vm1' }, status: { migrationState: { sourceNode: 's2' } } }), lookup),
    ).toBe('s2');
  });
});
