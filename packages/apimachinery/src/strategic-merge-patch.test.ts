import { describe, expect, it } from 'vitest';
import { PatchError } from './errors.ts';
import { builtinPatchSchemas } from './patch-schema.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

const POD = builtinPatchSchemas['v1/Pod']!;
const NODE = builtinPatchSchemas['v1/Node']!;

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'virt-launcher-x', namespace: 'default', finalizers: ['a', 'b'], labels: { app: 'x' } },
  spec: {
    containers: [
      { name: 'compute', image: 'virt-launcher:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'sc:1' },
    ],
    volumes: [{ name: 'disk', hostPath: { path: '/x' } }],
    tolerations: [{ key: 'a', operator: 'Exists' }],
    nodeSelector: { zone: 'a', rack: '1' },
  },
  status: {
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
  },
});

function err(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    return e as PatchError;
  }
  throw new Error('expected an error');
}

describe('applyStrategicMergePatch on a Pod', () => {
  it('merges containers by name and keeps the others, in the patch order kube-apiserver 1.26 gives', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'compute', image: 'virt-launcher:2' }, { name: 'new', image: 'n' }] } }, POD);
    // The patched elements keep the patch's order; the server-only one follows (strategicpatch's mergeSortedSlice).
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['compute', 'virt-launcher:2'],
      ['new', 'n'],
      ['sidecar', 'sc:1'],
    ]);
    expect(out.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('merges status.conditions by type (what a kubelet status patch does)', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] } },
      POD,
    );
    expect(out.status.conditions).toEqual([
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
    ]);
    expect(out.status.phase).toBe('Running');
  });

  it('replaces lists without a merge strategy (tolerations are atomic)', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } }, POD);
    expect(out.spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('merges nested lists: env by name and ports by containerPort inside a container', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { spec: { containers: [{ name: 'compute', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] }] } },
      POD,
    );
    // A new element comes before the server-only ones (a sidecar added by a patch becomes the first container too).
    expect(out.spec.containers[0]!.env).toEqual([{ name: 'B', value: '2' }, { name: 'A', value: '1' }]);
    expect(out.spec.containers[0]!.ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
  });

  it('deletes a list element with $patch: delete and replaces a list with $patch: replace', () => {
    const del = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } }, POD);
    expect(del.spec.containers.map((c) => c.name)).toEqual(['compute']);
    const rep = applyStrategicMergePatch(pod(), { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } }, POD);
    expect(rep.spec.containers).toEqual([{ name: 'only', image: 'o' }]);
  });

  it('replaces a map with $patch: replace and empties it with $patch: delete', () => {
    const rep = applyStrategicMergePatch(pod(), { spec: { nodeSelector: { $patch: 'replace', zone: 'b' } } }, POD);
    expect(rep.spec.nodeSelector).toEqual({ zone: 'b' });
    const del = applyStrategicMergePatch(pod(), { spec: { nodeSelector: { $patch: 'delete' } } }, POD);
    expect(del.spec.nodeSelector).toEqual({});
  });

  it('unions finalizers and removes them with $deleteFromPrimitiveList', () => {
    const add = applyStrategicMergePatch(pod(), { metadata: { finalizers: ['b', 'c'] } }, POD);
    expect(add.metadata.finalizers).toEqual(['a', 'b', 'c']);
    const rm = applyStrategicMergePatch(pod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, POD);
    expect(rm.metadata.finalizers).toEqual(['b']);
  });

  it('orders a merged list by the patch without $setElementOrder (conditions by type, finalizers)', () => {
    // [ContainersReady, PodScheduled'] onto [PodScheduled, Ready]: patched ones in patch order, Ready after PodScheduled.
    const out = applyStrategicMergePatch(pod(), { status: { conditions: [{ type: 'ContainersReady', status: 'True' }, { type: 'PodScheduled', status: 'False' }] } }, POD);
    expect(out.status.conditions.map((c: { type: string }) => c.type)).toEqual(['ContainersReady', 'PodScheduled', 'Ready']);
    // Scalars likewise: ['c', 'a'] onto ['a', 'b'].
    expect(applyStrategicMergePatch(pod(), { metadata: { finalizers: ['c', 'a'] } }, POD).metadata.finalizers).toEqual(['c', 'a', 'b']);
    // A patch in the live order changes no order.
    expect(applyStrategicMergePatch(pod(), { metadata: { finalizers: ['a', 'b', 'c'] } }, POD).metadata.finalizers).toEqual(['a', 'b', 'c']);
  });

  it('orders a merged list with $setElementOrder', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'compute' }], containers: [{ name: 'compute', image: 'v3' }] } },
      POD,
    );
    expect(out.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'compute']);
    expect(out.spec.containers[1]!.image).toBe('v3');
  });

  it('interleaves server-only elements by their live position under $setElementOrder', () => {
    const p = pod();
    p.spec.containers = [{ name: 'a', image: '1' }, { name: 'injected', image: 'x' }, { name: 'b', image: '2' }] as typeof p.spec.containers;
    const out = applyStrategicMergePatch(
      p,
      { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }], containers: [{ name: 'c', image: '3' }] } },
      POD,
    );
    expect(out.spec.containers.map((c) => c.name)).toEqual(['a', 'injected', 'b', 'c']);
  });

  it('keeps only $retainKeys in a volume (patchStrategy merge,retainKeys)', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { volumes: [{ name: 'disk', $retainKeys: ['name', 'emptyDir'], emptyDir: {} }] } }, POD);
    expect(out.spec.volumes).toEqual([{ name: 'disk', emptyDir: {} }]);
    const bad = err(() => applyStrategicMergePatch(pod(), { spec: { volumes: [{ name: 'disk', $retainKeys: ['name'], emptyDir: {} }] } }, POD));
    expect([bad.code, bad.message]).toEqual([400, 'invalid patch format of retainKeys']);
  });

  it('deletes keys patched to null and ignores nulls for absent keys', () => {
    const out = applyStrategicMergePatch(pod(), { metadata: { labels: { app: null, gone: null } }, spec: { nodeSelector: null } }, POD);
    expect(out.metadata.labels).toEqual({});
    expect('nodeSelector' in out.spec).toBe(false);
  });

  it('does not mutate the input', () => {
    const p = pod();
    const before = JSON.stringify(p);
    applyStrategicMergePatch(p, { metadata: { finalizers: ['z'] }, spec: { containers: [{ name: 'compute', image: 'q' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, POD);
    expect(JSON.stringify(p)).toBe(before);
  });

  it('answers bad patches with kube-apiserver texts', () => {
    const noKey = err(() => applyStrategicMergePatch(pod(), { spec: { containers: [{ image: 'x' }] } }, POD));
    expect(noKey.message).toBe('map: map[image:x] does not contain declared merge key: name');
    const badType = err(() => applyStrategicMergePatch(pod(), { spec: { $patch: 'frob' } }, POD));
    expect(badType.message).toBe('unknown patch type: frob in map: map[$patch:frob]');
    expect(err(() => applyStrategicMergePatch(pod(), [1], POD)).code).toBe(400);
    expect(err(() => applyStrategicMergePatch(pod(), { spec: { containers: [[1]] } }, POD)).code).toBe(422);
  });
});

describe('applyStrategicMergePatch on a Node', () => {
  it('merges status.addresses and conditions by type', () => {
    const node = {
      metadata: { name: 'n1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }],
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }],
      },
    };
    const out = applyStrategicMergePatch(
      node,
      { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } },
      NODE,
    );
    expect(out.status.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n1' }]);
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'KubeletReady' }]);
  });
});
