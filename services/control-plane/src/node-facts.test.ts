import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { nodeFacts } from './node-facts.ts';
import { nodeInfoOf, schedulingSignature } from './scheduler/node-info.ts';

const node: KubeObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n-1', uid: 'u-1', resourceVersion: '9', labels: { type: 'kwok', 'host-model-cpu.node.kubevirt.io/Skylake': 'true' }, annotations: { a: 'b' } },
  spec: { podCIDR: '10.128.0.0/24', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], unschedulable: true },
  status: {
    capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    allocatable: { cpu: '31', memory: '250Gi', pods: '110' },
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: 'True', reason: 'KubeletReady' },
    ],
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    nodeInfo: { kubeletVersion: 'fake' },
  },
};

describe('nodeFacts', () => {
  it('keeps every fact the scheduler and the migration controller read', () => {
    const facts = nodeFacts(node);
    expect(schedulingSignature(nodeInfoOf(facts))).toBe(schedulingSignature(nodeInfoOf(node)));
    expect(facts.metadata.labels).toEqual(node.metadata.labels);
    expect(facts.metadata.resourceVersion).toBe('9');
  });

  it('reads capacity when a node reports no allocatable, and a node with no status as not Ready', () => {
    const bare: KubeObject = { metadata: { name: 'n-2' }, status: { capacity: { cpu: '4' } } };
    expect(schedulingSignature(nodeInfoOf(nodeFacts(bare)))).toBe(schedulingSignature(nodeInfoOf(bare)));
    const none: KubeObject = { metadata: { name: 'n-3' } };
    expect(nodeInfoOf(nodeFacts(none))).toMatchObject({ ready: false, taints: [], unschedulable: false });
  });

  it('drops the rest of the status', () => {
    expect(nodeFacts(node).status).toEqual({ capacity: node.status!.capacity, allocatable: node.status!.allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] });
  });
});
