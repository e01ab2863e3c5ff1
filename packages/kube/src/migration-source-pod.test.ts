import { describe, expect, it } from 'vitest';
import { keepMigrationSourcePod } from './migration-source-pod.ts';
import type { KubeObject } from './object.ts';

const vmi = (migrationState: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'default', resourceVersion: '7' },
  status: { phase: 'Running', ...(migrationState ? { migrationState } : {}) },
});

describe('the source pod the watcher named, across an agent\'s own writes', () => {
  it('stays on the answer of a write during the same migration', () => {
    const named = vmi({ migrationUid: 'm1', sourceNode: 'a', sourcePod: 'virt-launcher-vm1-aaaaa' });
    const answer = vmi({ migrationUid: 'm1', sourceNode: 'a', startTimestamp: 'now' });
    expect(keepMigrationSourcePod(named, answer).status.migrationState).toEqual({ migrationUid: 'm1', sourceNode: 'a', startTimestamp: 'now', sourcePod: 'virt-launcher-vm1-aaaaa' });
  });

  it('is not carried to another migration, and never over a name the API server has', () => {
    const named = vmi({ migrationUid: 'm1', sourcePod: 'virt-launcher-vm1-aaaaa' });
    const next = vmi({ migrationUid: 'm2' });
    expect(keepMigrationSourcePod(named, next)).toBe(next);
    const kubevirtNamed = vmi({ migrationUid: 'm1', sourcePod: 'from-kubevirt' });
    expect(keepMigrationSourcePod(named, kubevirtNamed)).toBe(kubevirtNamed);
    const noMigration = vmi(undefined);
    expect(keepMigrationSourcePod(named, noMigration)).toBe(noMigration);
  });
});
