import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from './json.ts';
import type { ManagedFieldsEntry } from './managed-fields.ts';
import { builtinPatchSchemas } from './patch-schema.ts';
import { conflictCauses, conflictMessage, recordUpdate, serverSideApply } from './server-side-apply.ts';
import type { ServerSideApplyOptions } from './server-side-apply.ts';
import { compileSchema } from './structural-schema.ts';
import { referencePath } from '@virtsim/testkit/reference';

const POD = builtinPatchSchemas['v1/Pod']!;
const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';

function apply(o: Omit<ServerSideApplyOptions, 'time'> & { time?: string }): JsonObject {
  const r = serverSideApply({ time: T1, ...o });
  if (!r.object) throw new Error(conflictMessage(r.conflicts));
  return r.object;
}
const managed = (o: JsonObject): ManagedFieldsEntry[] => (o.metadata as JsonObject).managedFields as ManagedFieldsEntry[];

const rc = (replicas: number, extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { replicas, ...extra },
});

describe('serverSideApply', () => {
  it('creates an object owned by the applying manager', () => {
    const obj = apply({ live: undefined, applied: rc(1), manager: 'kubectl' });
    expect((obj.spec as JsonObject).replicas).toBe(1);
    expect(managed(obj)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } },
      },
    ]);
  });

  it('conflicts on a field another manager changed, with kube-apiserver text, and --force-conflicts takes it over', () => {
    const created = apply({ live: undefined, applied: rc(1), manager: 'kubectl' });
    // Someone scales it with an ordinary update.
    const scaled = recordUpdate({
      oldObj: created,
      newObj: { ...created, spec: { replicas: 3 } },
      manager: 'kubectl-client-side-apply',
      apiVersion: 'v1',
      time: T2,
    });
    expect(managed(scaled).map((e) => [e.manager, e.operation])).toEqual([
      ['kubectl', 'Apply'],
      ['kubectl-client-side-apply', 'Update'],
    ]);
    const r = serverSideApply({ live: scaled, applied: rc(5), manager: 'kubectl', time: T2 });
    expect(r.conflicts).toBeDefined();
    expect(conflictMessage(r.conflicts!)).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.replicas');
    expect(conflictCauses(r.conflicts!)).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using v1', field: '.spec.replicas' },
    ]);
    const forced = apply({ live: scaled, applied: rc(5), manager: 'kubectl', force: true, time: T2 });
    expect((forced.spec as JsonObject).replicas).toBe(5);
    // The other manager owned nothing else, so its entry is gone.
    expect(managed(forced).map((e) => e.manager)).toEqual(['kubectl']);
  });

  it('shares a field when both managers apply the same value', () => {
    const a = apply({ live: undefined, applied: rc(2), manager: 'a' });
    const b = apply({ live: a, applied: rc(2), manager: 'b' });
    expect(managed(b).map((e) => e.manager).sort()).toEqual(['a', 'b']);
    const r = serverSideApply({ live: b, applied: rc(4), manager: 'a' });
    expect(conflictMessage(r.conflicts!)).toBe('Apply failed with 1 conflict: conflict with "b": .spec.replicas');
  });

  it('removes fields the manager stops applying unless someone else owns them', () => {
    const first = apply({ live: undefined, applied: rc(1, { minReadySeconds: 5, paused: true }), manager: 'kubectl' });
    const other = apply({ live: first, applied: { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web' }, spec: { paused: true } }, manager: 'other' });
    const second = apply({ live: other, applied: rc(1), manager: 'kubectl' });
    expect(second.spec).toEqual({ replicas: 1, paused: true });
    const third = apply({ live: second, applied: { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web' } }, manager: 'kubectl' });
    expect(third.spec).toEqual({ paused: true });
    expect((third.metadata as JsonObject).labels).toBeUndefined();
  });

  it('merges containers by name across managers and removes only the unowned one', () => {
    const pod = (containers: JsonObject[]): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { containers } });
    const a = apply({ live: undefined, applied: pod([{ name: 'a', image: 'ia' }]), manager: 'ma', listTypes: POD });
    const b = apply({ live: a, applied: pod([{ name: 'b', image: 'ib' }]), manager: 'mb', listTypes: POD });
    expect((b.spec as JsonObject).containers).toEqual([{ name: 'a', image: 'ia' }, { name: 'b', image: 'ib' }]);
    const a2 = apply({ live: b, applied: pod([]), manager: 'ma', listTypes: POD });
    expect((a2.spec as JsonObject).containers).toEqual([{ name: 'b', image: 'ib' }]);
    const r = serverSideApply({ live: b, applied: pod([{ name: 'b', image: 'other' }]), manager: 'ma', listTypes: POD });
    expect(conflictMessage(r.conflicts!)).toBe('Apply failed with 1 conflict: conflict with "mb": .spec.containers[name="b"].image');
  });

  it('treats finalizers as a set and other lists as atomic', () => {
    const obj = (finalizers: string[], tolerations: JsonObject[]): JsonObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', finalizers },
      spec: { tolerations },
    });
    const a = apply({ live: undefined, applied: obj(['x'], [{ key: 'k1' }]), manager: 'a', listTypes: POD });
    const b = apply({ live: a, applied: obj(['y'], [{ key: 'k1' }]), manager: 'b', listTypes: POD });
    expect((b.metadata as JsonObject).finalizers).toEqual(['x', 'y']);
    const r = serverSideApply({ live: b, applied: obj(['y'], [{ key: 'k2' }]), manager: 'b', listTypes: POD });
    expect(conflictMessage(r.conflicts!)).toBe('Apply failed with 1 conflict: conflict with "a": .spec.tolerations');
  });

  it('gives the fields of an object without managedFields to before-first-apply', () => {
    const live = rc(1);
    const r = serverSideApply({ live, applied: rc(2), manager: 'kubectl' });
    expect(conflictMessage(r.conflicts!)).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .spec.replicas');
  });

  it('groups several conflicts by manager', () => {
    const created = apply({ live: undefined, applied: rc(1, { minReadySeconds: 1 }), manager: 'a' });
    const r = serverSideApply({ live: created, applied: rc(2, { minReadySeconds: 2 }), manager: 'b' });
    expect(conflictMessage(r.conflicts!)).toBe('Apply failed with 2 conflicts: conflicts with "a":\n- .spec.minReadySeconds\n- .spec.replicas');
  });

  it('uses x-kubernetes-list-type map keys from a CRD schema', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            disks: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
              items: { type: 'object', properties: { name: { type: 'string' }, bus: { type: 'string' } } },
            },
          },
        },
      },
    });
    const vmi = (disks: JsonObject[]): JsonObject => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'v' }, spec: { disks } });
    const a = apply({ live: undefined, applied: vmi([{ name: 'root', bus: 'virtio' }]), manager: 'a', listTypes: schema.patchSchema });
    const b = apply({ live: a, applied: vmi([{ name: 'data', bus: 'sata' }]), manager: 'b', listTypes: schema.patchSchema });
    expect((b.spec as JsonObject).disks).toEqual([{ name: 'root', bus: 'virtio' }, { name: 'data', bus: 'sata' }]);
    expect(managed(b).find((e) => e.manager === 'b')!.fieldsV1).toEqual({
      'f:spec': { 'f:disks': { 'k:{"name":"data"}': { '.': {}, 'f:bus': {}, 'f:name': {} } } },
    });
  });

  it('ignores reset fields (status on the main resource)', () => {
    const live = apply({ live: undefined, applied: { ...rc(1), status: { phase: 'x' } }, manager: 'a', resetFields: ['status'] });
    expect(live.status).toBeUndefined();
    expect(JSON.stringify(managed(live))).not.toContain('f:status');
  });
});

describe('recordUpdate', () => {
  it('records a create as an Update owning every field, then moves ownership on change', () => {
    const created = recordUpdate({ oldObj: undefined, newObj: rc(1), manager: 'kubectl-create', apiVersion: 'v1', time: T1 });
    expect(managed(created)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: T1,
        fieldsType: 'FieldsV1',
        // As on a real cluster: the labels map was created by this write, so it is owned itself (`.`).
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } },
      },
    ]);
    const edited = recordUpdate({ oldObj: created, newObj: { ...created, spec: { replicas: 2 } }, manager: 'kubectl-edit', apiVersion: 'v1', time: T2 });
    const byName = Object.fromEntries(managed(edited).map((e) => [e.manager, e.fieldsV1]));
    expect(byName).toEqual({
      'kubectl-create': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      'kubectl-edit': { 'f:spec': { 'f:replicas': {} } },
    });
  });

  it('re-stamps the time of a manager that changes fields it already owns, not of a no-op apply', () => {
    const created = recordUpdate({ oldObj: undefined, newObj: rc(1), manager: 'm', apiVersion: 'v1', time: T1 });
    const again = recordUpdate({ oldObj: created, newObj: { ...created, spec: { replicas: 2 } }, manager: 'm', apiVersion: 'v1', time: T2 });
    expect(managed(again).map((e) => [e.manager, e.time])).toEqual([['m', T2]]);
    expect(managed(again)[0]!.fieldsV1).toEqual(managed(created)[0]!.fieldsV1);
    const applied = apply({ live: undefined, applied: rc(1), manager: 'a', time: T1 });
    const noop = apply({ live: applied, applied: rc(1), manager: 'a', time: T2 });
    expect(managed(noop)[0]!.time).toBe(T1);
  });

  it('keeps managedFields untouched by a no-op write and clears them on [{}]', () => {
    const created = recordUpdate({ oldObj: undefined, newObj: rc(1), manager: 'm', apiVersion: 'v1', time: T1 });
    const same = recordUpdate({ oldObj: created, newObj: { ...created }, manager: 'other', apiVersion: 'v1', time: T2 });
    expect(managed(same)).toEqual(managed(created));
    const cleared = recordUpdate({
      oldObj: created,
      newObj: { ...created, metadata: { ...(created.metadata as JsonObject), managedFields: [{}] } },
      manager: 'm',
      apiVersion: 'v1',
    });
    expect((cleared.metadata as JsonObject).managedFields).toBeUndefined();
  });
});

describe('server-side apply of real KubeVirt objects', async () => {
  const { existsSync, readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const ref = pathToFileURL(referencePath('kubevirt') + '/');
  const present = existsSync(new URL('crds/virtualmachineinstances.kubevirt.io.yaml', ref));
  it.skipIf(!present)('applies a VMI twice without change, records the status writer, and removes a label no longer applied', () => {
    const crd = parse(readFileSync(new URL('crds/virtualmachineinstances.kubevirt.io.yaml', ref), 'utf8'));
    const listTypes = compileSchema(crd.spec.versions[0].schema.openAPIV3Schema).patchSchema;
    const vmi = parse(readFileSync(new URL('examples/vmi-fedora.yaml', ref), 'utf8')) as JsonObject;
    const first = apply({ live: undefined, applied: vmi, manager: 'kubectl', listTypes });
    const again = apply({ live: first, applied: vmi, manager: 'kubectl', listTypes });
    expect(again).toEqual(first);
    const running = recordUpdate({ oldObj: again, newObj: { ...again, status: { phase: 'Running' } }, manager: 'virt-handler', apiVersion: 'kubevirt.io/v1', time: T2 });
    const relabeled = apply({
      live: running,
      applied: { ...vmi, metadata: { name: 'vmi-fedora', labels: {}, finalizers: ['a'] } },
      manager: 'kubectl',
      listTypes,
      time: T2,
    });
    expect((relabeled.metadata as JsonObject).labels).toEqual({});
    expect(relabeled.status).toEqual({ phase: 'Running' });
    expect(managed(relabeled).map((e) => [e.manager, e.operation])).toEqual([
      ['kubectl', 'Apply'],
      ['virt-handler', 'Update'],
    ]);
    expect(JSON.stringify(managed(relabeled)[0]!.fieldsV1)).toContain('"f:finalizers":{"v:\\"a\\"":{}}');
  });
});
