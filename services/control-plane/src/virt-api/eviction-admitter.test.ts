import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { decideEviction, launcherVmiName } from './eviction-admitter.ts';

const NODE = 'node01';

function launcher(phase = 'Running'): KubeObject {
  return {
    metadata: { name: 'virt-launcher-vmi-abcde', namespace: 'ns', labels: { 'kubevirt.io': 'virt-launcher' }, annotations: { 'kubevirt.io/domain': 'vmi' } },
    spec: { nodeName: NODE },
    status: { phase },
  } as KubeObject;
}

function vmi(o: { strategy?: string; migratable?: boolean; evacuation?: string; nodeName?: string } = {}): KubeObject {
  return {
    metadata: { name: 'vmi', namespace: 'ns' },
    spec: o.strategy ? { evictionStrategy: o.strategy } : {},
    status: {
      nodeName: o.nodeName ?? NODE,
      ...(o.evacuation ? { evacuationNodeName: o.evacuation } : {}),
      conditions: o.migratable ? [{ type: 'LiveMigratable', status: 'True' }] : [{ type: 'LiveMigratable', status: 'False' }],
    },
  } as KubeObject;
}

const TRIGGERED = { action: 'mark', nodeName: NODE, message: 'Eviction triggered evacuation of VMI "ns/vmi"' };
const ALLOW = { action: 'allow' };
const NOT_MIGRATABLE = { action: 'deny', message: 'VMI vmi is configured with an eviction strategy but is not live-migratable' };

describe('pod eviction admitter (KubeVirt pod-eviction-admitter rules)', () => {
  it('looks only at live virt-launcher pods that name their VMI', () => {
    expect(launcherVmiName(launcher())).toBe('vmi');
    expect(launcherVmiName(launcher('Succeeded'))).toBeUndefined();
    expect(launcherVmiName(launcher('Failed'))).toBeUndefined();
    expect(launcherVmiName({ metadata: { name: 'p', labels: {} } } as KubeObject)).toBeUndefined();
    expect(launcherVmiName(undefined)).toBeUndefined();
  });

  it.each([
    ['VMI LiveMigrate, migratable', { strategy: 'LiveMigrate', migratable: true }, undefined, TRIGGERED],
    ['VMI LiveMigrateIfPossible, migratable', { strategy: 'LiveMigrateIfPossible', migratable: true }, undefined, TRIGGERED],
    ['VMI External, not migratable', { strategy: 'External' }, undefined, TRIGGERED],
    ['cluster LiveMigrate, migratable', { migratable: true }, 'LiveMigrate', TRIGGERED],
    ['cluster LiveMigrateIfPossible, migratable', { migratable: true }, 'LiveMigrateIfPossible', TRIGGERED],
    ['no strategy anywhere, migratable', { migratable: true }, undefined, ALLOW],
    ['VMI None, migratable', { strategy: 'None', migratable: true }, 'LiveMigrate', ALLOW],
    ['cluster None, migratable', { migratable: true }, 'None', ALLOW],
    ['VMI LiveMigrateIfPossible, not migratable', { strategy: 'LiveMigrateIfPossible' }, undefined, ALLOW],
    ['VMI LiveMigrate, not migratable', { strategy: 'LiveMigrate' }, undefined, NOT_MIGRATABLE],
    ['cluster LiveMigrate, not migratable', {}, 'LiveMigrate', NOT_MIGRATABLE],
  ] as const)('%s', (_name, v, cluster, want) => {
    expect(decideEviction(launcher(), vmi(v), cluster)).toEqual(want);
  });

  it('refuses again without marking while the evacuation from this node is under way', () => {
    expect(decideEviction(launcher(), vmi({ strategy: 'LiveMigrate', migratable: true, evacuation: NODE }), undefined)).toEqual({
      action: 'deny',
      message: 'Evacuation in progress: Eviction triggered evacuation of VMI "ns/vmi"',
    });
  });

  it('lets a pod through that is no longer where the VMI runs (a handed-off migration source)', () => {
    expect(decideEviction(launcher(), vmi({ strategy: 'LiveMigrate', migratable: true, evacuation: NODE, nodeName: 'node02' }), undefined)).toEqual(ALLOW);
  });
});
