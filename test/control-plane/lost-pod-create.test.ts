// A launcher or migration target pod is created with generateName, so a create retried after its
// answer was lost (the API fault mode's `applied` fault: carried out, then a 504 or a hang-up)
// never meets 409 AlreadyExists: it makes a second pod. virt-controller's stand-in must adopt the
// pod its earlier attempt made instead, as virt-controller's expectations and pod informer do:
// every VMI ends with one launcher pod, every migration with one target pod.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KubeClient, PODS, VMIMS, VMIS, Writer, collectionPath, objectPath, type KubeObject, type WriteRequest } from '@virtsim/kube';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import type { ServiceProcess } from '@virtsim/testkit/service-process';
import { waitFor } from '@virtsim/testkit/wait';
import { startStandIns } from './cluster.ts';
import { createLogger } from '@virtsim/telemetry';
import { CRDS } from '../fleet/harness.ts';

// A fifth of the writes fail, seeded; a fifth of those are `applied` (the pod made, the answer
// lost): with this many pods (a VMI, then a migration, each), some creates meet one for sure (the
// test checks they did: P(none) < 0.001 each). Low enough
// that the control plane's Lease renewals get through (it steps down after ~12 s of failures).
const RATE = 0.2;
const SEED = 11;
const VMI_COUNT = 150;
// A KubeVirt service account that may patch VMIs (the embedded server puts back others' status).
const KUBEVIRT_SA = { user: 'system:serviceaccount:kubevirt:kubevirt-controller' };

const vmi = (name: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace: 'default' },
  spec: {
    domain: { memory: { guest: '128Mi' }, resources: {}, devices: { interfaces: [{ name: 'default', masquerade: {} }] } },
    networks: [{ name: 'default', pod: {} }],
    terminationGracePeriodSeconds: 0,
  },
});

let api: ApiServerHarness;
let client: KubeClient;
let writer: Writer;
let cp: ServiceProcess;

const write = (req: Omit<WriteRequest, 'key' | 'resource'> & { resource?: string }) => writer.write({ key: req.path, resource: req.resource ?? 'test', ...req });
const list = async (path: string, labelSelector?: string) => (await client.request<{ items: KubeObject[] }>({ method: 'GET', path, query: { labelSelector } })).items;

/** `applied` faults the API server injected into pod creates, from its log. */
const appliedPodCreates = () =>
  api
    .logs()
    .split('\n')
    .filter((l) => l.includes('"msg":"fault injected"') && l.includes('"fault":"applied"') && l.includes('"resource":"pods"') && l.includes('"verb":"POST"')).length;

/** Launcher or target pods by the uid that tells them apart (VMI uid, or migration uid). */
function countBy(pods: KubeObject[], id: (p: KubeObject) => string | undefined): Map<string, number> {
  const n = new Map<string, number>();
  for (const p of pods) {
    const k = id(p);
    if (k) n.set(k, (n.get(k) ?? 0) + 1);
  }
  return n;
}

/** The VMI's launcher pods (one, unless it was made twice) bound to `node` and running, then the VMI Scheduled by virt-controller, then Running. */
async function runOn(v: KubeObject, node: string): Promise<void> {
  for (const pod of await list(collectionPath(PODS, 'default'), `kubevirt.io/created-by=${v.metadata.uid}`)) await runPod(pod.metadata.name, node);
  await waitFor(`VMI ${v.metadata.name} Scheduled`, async () => (await client.request<KubeObject>({ method: 'GET', path: objectPath(VMIS, 'default', v.metadata.name) })).status?.phase === 'Scheduled', { timeoutMs: 60_000, intervalMs: 100 });
  await write({ resource: 'vmis', method: 'PATCH', path: objectPath(VMIS, 'default', v.metadata.name), contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } }, impersonate: KUBEVIRT_SA });
}

/** The pod bound (a binding retried after a lost answer meets its own: 409) and running. */
async function runPod(name: string, node: string): Promise<void> {
  const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } };
  await write({ resource: 'pods/binding', method: 'POST', path: objectPath(PODS, 'default', name, 'binding'), body: binding }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  const running = { state: { running: { startedAt: new Date().toISOString() } }, ready: true };
  const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'compute', ...running }] };
  await write({ resource: 'pods/status', method: 'PATCH', path: objectPath(PODS, 'default', name, 'status'), contentType: 'application/strategic-merge-patch+json', body: { status } });
}

beforeAll(async () => {
  api = await startApiServerForTest({ args: ['--fault-write-error-rate', String(RATE), '--fault-seed', String(SEED), '--fault-timeout-delay', '50ms'] });
  client = await KubeClient.fromFile(api.kubeconfigPath);
  const log = createLogger('lost-pod-create-test');
  log.level = 'silent';
  writer = new Writer(client, { log });
  for (const f of readdirSync(CRDS).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(CRDS, f), 'utf8'))) {
      const crd = doc.toJS();
      if (crd?.kind === 'CustomResourceDefinition') await write({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd });
    }
  }
  await waitFor('KubeVirt CRDs served', async () => Array.isArray(await list(collectionPath(VMIMS, 'default'))));
  cp = await startStandIns(api, 'virt-api,virt-controller');
}, 60_000);

afterAll(async () => {
  await cp?.stop();
  client?.close();
  await api?.stop();
});

describe('virt-controller stand-in under lost answers to pod creates (generateName)', () => {
  it('gives every VMI exactly one launcher pod', async () => {
    await Promise.all(Array.from({ length: VMI_COUNT }, (_, i) => write({ resource: 'vmis', method: 'POST', path: collectionPath(VMIS, 'default'), body: vmi(`vmi-${i}`) })));
    // Scheduling is written once the pod create returned (retries and all) and the pod was seen.
    const vmis = await waitFor(`${VMI_COUNT} VMIs Scheduling`, async () => {
      const items = await list(collectionPath(VMIS, 'default'));
      return items.length === VMI_COUNT && items.every((v) => v.status?.phase === 'Scheduling') ? items : undefined;
    }, { timeoutMs: 120_000 });
    expect(appliedPodCreates(), 'no launcher pod create met an `applied` fault: the test proves nothing').toBeGreaterThan(0);
    const pods = await list(collectionPath(PODS, 'default'), 'kubevirt.io=virt-launcher,!kubevirt.io/migrationJobUID');
    const perVmi = countBy(pods, (p) => p.metadata.labels?.['kubevirt.io/created-by']);
    const doubled = vmis.filter((v) => perVmi.get(v.metadata.uid!) !== 1).map((v) => `${v.metadata.name}: ${perVmi.get(v.metadata.uid!) ?? 0}`);
    expect(doubled).toEqual([]);
    expect(pods).toHaveLength(VMI_COUNT);
  }, 180_000);

  it('gives every migration exactly one target pod', async () => {
    const vmis = await list(collectionPath(VMIS, 'default'));
    const before = appliedPodCreates();
    // What kube-scheduler, the kubelet and virt-handler would write: each launcher pod placed and
    // running, then its VMI Running on that node.
    await Promise.all(vmis.map((v, i) => runOn(v, `node-${i % 4}`)));
    const migrations = await Promise.all(vmis.map(async (v) => {
      const body = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: `mig-${v.metadata.name}`, namespace: 'default' }, spec: { vmiName: v.metadata.name } };
      await write({ resource: 'vmims', method: 'POST', path: collectionPath(VMIMS, 'default'), body });
      return body.metadata.name;
    }));
    // Scheduling is written once the target pod create returned and the pod was seen.
    const vmims = await waitFor(`${migrations.length} migrations Scheduling`, async () => {
      const items = await list(collectionPath(VMIMS, 'default'));
      return items.length === migrations.length && items.every((m) => m.status?.phase === 'Scheduling') ? items : undefined;
    }, { timeoutMs: 120_000 });
    expect(appliedPodCreates() - before, 'no target pod create met an `applied` fault: the test proves nothing').toBeGreaterThan(0);
    const targets = await list(collectionPath(PODS, 'default'), 'kubevirt.io/migrationJobUID');
    const perMigration = countBy(targets, (p) => p.metadata.labels?.['kubevirt.io/migrationJobUID']);
    const doubled = vmims.filter((m) => perMigration.get(m.metadata.uid!) !== 1).map((m) => `${m.metadata.name}: ${perMigration.get(m.metadata.uid!) ?? 0}`);
    expect(doubled).toEqual([]);
    expect(targets).toHaveLength(migrations.length);
  }, 240_000);
});
