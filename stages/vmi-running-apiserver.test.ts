/**
 * vmi-running's write against the embedded API server, and the write of virt-controller that
 * follows it. The real virt-controller patches a VMI with a JSON patch whose first op `test`s
 * /status/conditions against the Go encoding of the conditions it read, where an unset
 * metav1.Time is `null`: the stored conditions must keep the `null`s the stage writes (a merge
 * patch prunes them, and every virt-controller patch then failed with 422 `testing value
 * /status/conditions failed`, so the VMI never became Ready).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, VMIS, collectionPath, type KubeObject } from '@virtsim/kube';
import { PATCH_CONTENT_TYPES } from '@virtsim/stages';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { loadSet, readObject, renderContext, STAGES_DIR } from './stage-fixtures.ts';

const CRD = fileURLToPath(new URL('../deploy/crds/virtualmachineinstances.kubevirt.io.yaml', import.meta.url));

interface Condition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

const CONTROLLER = 'system:serviceaccount:kubevirt:kubevirt-controller';

/** What Go's encoding/json writes for KubeVirt's VirtualMachineInstanceCondition: the times always, null when unset. */
const goEncoded = (c: Condition): Condition => ({ ...c, lastProbeTime: c.lastProbeTime ?? null, lastTransitionTime: c.lastTransitionTime ?? null });

describe('vmi-running against the embedded API server', () => {
  let api: ApiServerHarness;
  let client: KubeClient;
  beforeAll(async () => {
    api = await startApiServerForTest({ inProcess: true });
    const crd = await api.kubectl(['create', '-f', CRD]);
    if (crd.code !== 0) throw new Error(`creating the VMI CRD failed: ${crd.stderr}`);
    client = await KubeClient.fromFile(api.kubeconfigPath);
  });
  afterAll(async () => {
    client?.close();
    await api?.stop();
  });

  it('keeps the null times of the conditions, so a virt-controller patch that tests them applies', async () => {
    const input = readObject(`${STAGES_DIR}/vmi/testdata/vmi-scheduled.input.yaml`);
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _gen, ...metadata } = input.metadata!;
    const path = `${collectionPath(VMIS, 'default')}/${metadata.name}`;
    // created as virt-controller: virt-api's webhook refuses the reserved kubevirt.io/ labels from anyone else
    const created = await client.request<KubeObject>({ method: 'POST', path: collectionPath(VMIS, 'default'), body: { ...input, metadata }, impersonate: { user: CONTROLLER } });

    const plan = loadSet('vmi').plan(created, renderContext());
    expect(plan?.stage.name).toBe('vmi-running');
    const patches = plan!.requests.filter((r) => r.kind === 'patch');
    expect(patches).toHaveLength(1);
    const patch = patches[0]!;
    if (patch.kind !== 'patch') throw new Error('unreachable');
    await client.request({
      method: 'PATCH',
      path,
      contentType: PATCH_CONTENT_TYPES[patch.type],
      body: patch.data,
      impersonate: patch.impersonate ? { user: patch.impersonate.username } : undefined,
    });

    const stored = await client.request<KubeObject>({ method: 'GET', path });
    const conditions = stored.status.conditions as Condition[];
    expect(conditions.find((c) => c.type === 'LiveMigratable')).toEqual({ type: 'LiveMigratable', status: 'True', lastProbeTime: null, lastTransitionTime: null });
    expect(conditions.find((c) => c.type === 'StorageLiveMigratable')).toEqual({ type: 'StorageLiveMigratable', status: 'True', lastProbeTime: null, lastTransitionTime: null });
    expect(conditions.find((c) => c.type === 'Ready')).toHaveProperty('lastProbeTime', null);
    // virt-controller's own fields, which the stage does not write, are kept.
    const before = input.status as Record<string, unknown>;
    expect(stored.status.activePods).toEqual(before.activePods);
    expect(stored.status.qosClass).toBe(before.qosClass);

    // virt-controller marking the VMI Ready: test the conditions it read, then replace them.
    const read = conditions.map(goEncoded);
    const ready = read.map((c) => (c.type === 'Ready' ? { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-08-01T12:00:01Z' } : c));
    const answer = await client.request<KubeObject>({
      method: 'PATCH',
      path,
      contentType: 'application/json-patch+json',
      body: [
        { op: 'test', path: '/status/conditions', value: read },
        { op: 'replace', path: '/status/conditions', value: ready },
      ],
      impersonate: { user: CONTROLLER },
    });
    expect((answer.status.conditions as Condition[]).find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});
