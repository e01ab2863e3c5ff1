import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { launcherPodProblems } from './launcher-pods.ts';

const vmi = (name: string, node: string, phase = 'Running'): KubeObject => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default', uid: `uid-${name}` }, status: { phase, nodeName: node } });
const pod = (name: string, owner: string, node: string, extra: Partial<KubeObject['metadata']> = {}, phase = 'Running'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: owner, uid: `uid-${owner}`, controller: true }], ...extra },
  spec: { nodeName: node },
  status: { phase },
});

describe('launcherPodProblems', () => {
  it('accepts one Running pod on the VMI node and ignores pods being deleted and VMIs not Running', () => {
    const vmis = [vmi('a', 'n1'), vmi('b', 'n2', 'Failed')];
    const pods = [pod('virt-launcher-a-1', 'a', 'n1'), pod('virt-launcher-a-0', 'a', 'n3', { deletionTimestamp: '2026-01-01T00:00:00Z' })];
    expect(launcherPodProblems(vmis, pods)).toEqual([]);
  });

  it('names a VMI with two launcher pods, with none, and with one elsewhere or not Running', () => {
    const vmis = [vmi('two', 'n1'), vmi('none', 'n1'), vmi('moved', 'n1'), vmi('pending', 'n1')];
    const pods = [pod('p1', 'two', 'n1'), pod('p2', 'two', 'n1'), pod('p3', 'moved', 'n2'), pod('p4', 'pending', 'n1', {}, 'Pending')];
    expect(launcherPodProblems(vmis, pods)).toEqual([
      'default/two: 2 launcher pods (p1, p2)',
      'default/none: 0 launcher pods',
      'default/moved: launcher pod p3 is Running on n2, the VMI on n1',
      'default/pending: launcher pod p4 is Pending on n1, the VMI on n1',
    ]);
  });
});
