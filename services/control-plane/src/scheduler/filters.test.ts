import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { feasibleNodesToFind, filterNode, fitErrorMessage, leastAllocatedScore, podFacts, type PodFacts } from './filters.ts';
import { nodeInfoOf, type NodeInfo } from './node-info.ts';
import { podRequests } from './pod-requests.ts';

function node(name: string, opts: { labels?: Record<string, string>; taints?: unknown[]; unschedulable?: boolean; ready?: boolean; allocatable?: Record<string, string> } = {}): NodeInfo {
  return nodeInfoOf({
    metadata: { name, labels: { 'kubevirt.io/schedulable': 'true', ...opts.labels } },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: {
      allocatable: opts.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110', 'devices.kubevirt.io/kvm': '1k' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  });
}

function pod(spec: Record<string, unknown>): PodFacts {
  const p: KubeObject = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'compute' }], ...spec } };
  return podFacts(p);
}

const reasons = (p: PodFacts, n: NodeInfo) => filterNode(p, n, []).reasons;

describe('scheduler filters (kube-scheduler default plugins)', () => {
  it('nodeSelector: a node without the selected label does not fit', () => {
    const p = pod({ nodeSelector: { 'kubevirt.io/schedulable': 'true', 'disk': 'ssd' } });
    expect(reasons(p, node('a'))).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
    expect(reasons(p, node('b', { labels: { disk: 'ssd' } }))).toEqual([]);
  });

  it('required node affinity: terms are ORed, expressions ANDed, operators as in kube', () => {
    const p = pod({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'obsolete', operator: 'DoesNotExist' }] },
              { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] },
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['by-name'] }] },
            ],
          },
        },
      },
    });
    expect(reasons(p, node('z-a', { labels: { zone: 'a' } }))).toEqual([]);
    expect(reasons(p, node('z-a-obsolete', { labels: { zone: 'a', obsolete: 'x' } }))).toHaveLength(1);
    expect(reasons(p, node('big', { labels: { cores: '16' } }))).toEqual([]);
    expect(reasons(p, node('small', { labels: { cores: '4' } }))).toHaveLength(1);
    expect(reasons(p, node('by-name'))).toEqual([]);
  });

  it('taints: NoSchedule and NoExecute need a toleration, PreferNoSchedule does not', () => {
    const tainted = node('t', { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] });
    expect(reasons(pod({}), tainted)).toEqual(['node(s) had untolerated taint {kwok.x-k8s.io/node: fake}']);
    expect(reasons(pod({ tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }] }), tainted)).toEqual([]);
    expect(reasons(pod({ tolerations: [{ key: 'kwok.x-k8s.io/node', value: 'other' }] }), tainted)).toHaveLength(1);
    expect(reasons(pod({ tolerations: [{ operator: 'Exists' }] }), tainted)).toEqual([]);
    expect(reasons(pod({}), node('p', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }))).toEqual([]);
  });

  it('a node that is not Ready or is cordoned takes nothing', () => {
    expect(reasons(pod({}), node('nr', { ready: false }))).toEqual(['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
    expect(reasons(pod({}), node('c', { unschedulable: true }))).toEqual(['node(s) were unschedulable']);
  });

  it('resources: requests (or limits alone) against allocatable minus what is placed, incl. devices.kubevirt.io/*', () => {
    const n = node('n');
    const big = pod({ containers: [{ name: 'compute', resources: { requests: { cpu: '3', memory: '6Gi' } } }] });
    expect(reasons(big, n)).toEqual([]);
    n.requested.set('cpu', 2);
    n.requested.set('memory', 4 * 2 ** 30);
    expect(reasons(big, n)).toEqual(['Insufficient cpu', 'Insufficient memory']);
    const kvm = pod({ containers: [{ name: 'compute', resources: { limits: { 'devices.kubevirt.io/kvm': '1', 'devices.kubevirt.io/tun': '1' } } }] });
    expect(reasons(kvm, node('m'))).toEqual(['Insufficient devices.kubevirt.io/tun']);
    const full = node('f', { allocatable: { cpu: '4', memory: '8Gi', pods: '1' } });
    full.requested.set('pods', 1);
    expect(reasons(pod({}), full)).toEqual(['Too many pods']);
  });

  it('init containers count as the max of themselves and the app containers; sidecars add up', () => {
    const r = podRequests({
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'compute', resources: { requests: { cpu: '100m' } } }],
        initContainers: [
          { name: 'log', restartPolicy: 'Always', resources: { requests: { cpu: '10m' } } },
          { name: 'disk', resources: { requests: { cpu: '1' } } },
        ],
      },
    });
    expect(r.get('cpu')).toBeCloseTo(1.01);
    expect(r.get('pods')).toBe(1);
  });

  it('required pod anti-affinity excludes the topology domains of matching pods', () => {
    const p = pod({
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'kubevirt.io/created-by': 'u1' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    });
    const src = node('src', { labels: { 'kubernetes.io/hostname': 'src' } });
    const other = node('other', { labels: { 'kubernetes.io/hostname': 'other' } });
    const excluded = [{ topologyKey: 'kubernetes.io/hostname', values: new Set(['src']) }];
    expect(filterNode(p, src, excluded).reasons).toEqual(["node(s) didn't match pod anti-affinity rules"]);
    expect(filterNode(p, other, excluded).reasons).toEqual([]);
  });

  it('least-allocated scoring prefers the emptier node', () => {
    const p = pod({ containers: [{ name: 'compute', resources: { requests: { cpu: '1', memory: '1Gi' } } }] });
    const empty = node('e');
    const busy = node('b');
    busy.requested.set('cpu', 2);
    busy.requested.set('memory', 2 ** 32);
    expect(leastAllocatedScore(p, empty)).toBeGreaterThan(leastAllocatedScore(p, busy));
  });

  it('writes the unschedulable message as kube-scheduler does', () => {
    const results = [
      ...Array.from({ length: 28 }, () => ({ reasons: ["node(s) didn't match Pod's node affinity/selector"], unresolvable: true })),
      { reasons: ['Insufficient cpu', 'Insufficient memory'], unresolvable: false },
      { reasons: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'], unresolvable: true },
    ];
    expect(fitErrorMessage(30, results)).toBe(
      "0/30 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 28 node(s) didn't match Pod's node affinity/selector. preemption: 0/30 nodes are available: 1 No preemption victims found for incoming pod, 29 Preemption is not helpful for scheduling.",
    );
  });

  it('scores a bounded sample of large clusters (percentageOfNodesToScore)', () => {
    expect(feasibleNodesToFind(50)).toBe(50);
    expect(feasibleNodesToFind(1000)).toBe(420);
    expect(feasibleNodesToFind(10000)).toBe(500);
  });
});
