import { describe, expect, it } from 'vitest';
import type { CompiledStage, KubeObject } from '@virtsim/stages';
import { eligibleStages } from './handler-role.ts';

const stage = (handler?: string) =>
  ({ object: { metadata: { name: 's', annotations: handler ? { 'stage.virtsim.io/handler': handler } : undefined } } }) as unknown as CompiledStage;
const vmi = (node: string, target?: string): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v', namespace: 'default' },
  status: { nodeName: node, migrationState: target ? { targetNode: target } : undefined },
});

describe('eligibleStages', () => {
  const ownsSrc = eligibleStages((n) => n === 'src');
  const ownsDst = eligibleStages((n) => n === 'dst');

  it('gives the target side of a migration to the target node owner, everything else to the source owner', () => {
    const v = vmi('src', 'dst');
    expect([ownsSrc(stage(), v), ownsSrc(stage('migration-source'), v), ownsSrc(stage('migration-target'), v)]).toEqual([true, true, false]);
    expect([ownsDst(stage(), v), ownsDst(stage('migration-source'), v), ownsDst(stage('migration-target'), v)]).toEqual([false, false, true]);
  });

  it('plays every stage of other kinds', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } as KubeObject;
    expect(ownsDst(stage('migration-target'), pod)).toBe(true);
  });
});
