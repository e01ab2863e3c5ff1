import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { MigrationSourcePods } from './migration-source-pods.ts';

const launcher = (name: string, uid: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid, labels: { 'kubevirt.io': 'virt-launcher' } } });

/** A VMI mid-migration as KubeVirt v0.59 writes it: pods by UID only, no sourcePod. */
function migratingVmi(migrationState: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'default' },
    status: { phase: 'Running', nodeName: 'node-a', activePods: { 'uid-src': 'node-a', 'uid-tgt': 'node-b' }, migrationState },
  };
}

describe('the source pod of a migration, for KubeVirt that does not name it', () => {
  it('is the active launcher pod on the source node that is not the target pod', () => {
    const pods = new MigrationSourcePods();
    pods.observe('Pod', 'ADDED', launcher('virt-launcher-vm1-aaaaa', 'uid-src'));
    pods.observe('Pod', 'ADDED', launcher('virt-launcher-vm1-bbbbb', 'uid-tgt'));
    const vmi = migratingVmi({ sourceNode: 'node-a', targetNode: 'node-b', targetPod: 'virt-launcher-vm1-bbbbb', completed: true });
    const filled = pods.observe('VirtualMachineInstance', 'MODIFIED', vmi);
    expect(filled?.status.migrationState).toEqual({ ...vmi.status.migrationState, sourcePod: 'virt-launcher-vm1-aaaaa' });
    // The watcher's own copy is left as it was.
    expect(vmi.status.migrationState.sourcePod).toBeUndefined();
  });

  it('finds it on a migration within one node too, by leaving out the target pod', () => {
    const pods = new MigrationSourcePods();
    pods.observe('Pod', 'ADDED', launcher('virt-launcher-vm1-bbbbb', 'uid-tgt'));
    pods.observe('Pod', 'ADDED', launcher('virt-launcher-vm1-aaaaa', 'uid-src'));
    const vmi = migratingVmi({ sourceNode: 'node-a', targetNode: 'node-a', targetPod: 'virt-launcher-vm1-bbbbb' });
    vmi.status.activePods = { 'uid-tgt': 'node-a', 'uid-src': 'node-a' };
    expect(pods.observe('VirtualMachineInstance', 'MODIFIED', vmi)?.status.migrationState.sourcePod).toBe('virt-launcher-vm1-aaaaa');
  });

  it('leaves a VMI alone when KubeVirt named the pod, when nothing migrates, and when the pod is gone', () => {
    const pods = new MigrationSourcePods();
    pods.observe('Pod', 'ADDED', launcher('virt-launcher-vm1-aaaaa', 'uid-src'));
    expect(pods.observe('VirtualMachineInstance', 'MODIFIED', migratingVmi({ sourceNode: 'node-a', sourcePod: 'named-by-kubevirt' }))).toBeUndefined();
    expect(pods.observe('VirtualMachineInstance', 'MODIFIED', { ...migratingVmi({}), status: { phase: 'Running', nodeName: 'node-a' } })).toBeUndefined();
    pods.observe('Pod', 'DELETED', launcher('virt-launcher-vm1-aaaaa', 'uid-src'));
    expect(pods.observe('VirtualMachineInstance', 'MODIFIED', migratingVmi({ sourceNode: 'node-a', targetPod: 'virt-launcher-vm1-bbbbb' }))).toBeUndefined();
    expect(pods.size).toBe(0);
  });

  it('keeps only launcher pods', () => {
    const pods = new MigrationSourcePods();
    pods.observe('Pod', 'ADDED', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'uid-src' } });
    expect(pods.size).toBe(0);
    expect(pods.observe('VirtualMachineInstance', 'MODIFIED', migratingVmi({ sourceNode: 'node-a' }))).toBeUndefined();
  });
});

describe('a watch event, as the watcher hands it over', () => {
  it('records launcher pods and names the source pod only on VMIs', () => {
    const pods = new MigrationSourcePods();
    expect(pods.observe('Pod', 'ADDED', launcher('virt-launcher-vm1-aaaaa', 'uid-src'))).toBeUndefined();
    const vmi = migratingVmi({ sourceNode: 'node-a', targetPod: 'virt-launcher-vm1-bbbbb' });
    expect(pods.observe('VirtualMachineInstance', 'MODIFIED', vmi)?.status.migrationState.sourcePod).toBe('virt-launcher-vm1-aaaaa');
    expect(pods.observe('VirtualMachineInstanceMigration', 'MODIFIED', vmi)).toBeUndefined();
  });
});
