// The real kubectl binary against `virtsim apiserver` started as a child process: KubeVirt's CRDs
// and examples, watches, every patch type, finalizers, impersonation and KubeVirt's VMI admission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { referenceDir } from '@virtsim/testkit/reference';
import { waitFor } from '@virtsim/testkit/wait';
import { fileURLToPath } from 'node:url';

// KubeVirt's and KWOK's CRDs as the repo ships them; KubeVirt's own examples from the reference data.
const REF = referenceDir();
const KV_CRDS = fileURLToPath(new URL('../../deploy/crds', import.meta.url));
const CONTROLLER = 'system:serviceaccount:kubevirt:kubevirt-controller';

let s: ApiServerHarness;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function json(args: string[]): Promise<any> {
  return JSON.parse(await ok([...args, '-o', 'json']));
}

beforeAll(async () => {
  // The audit lines go into its log (off by default): one test below reads them.
  s = await startApiServerForTest({ args: ['--audit-log-path', '-'] });
  await ok(['apply', '--server-side', '-f', `${KV_CRDS}/virtualmachineinstances.kubevirt.io.yaml`, '-f', `${KV_CRDS}/virtualmachines.kubevirt.io.yaml`, '-f', `${KV_CRDS}/virtualmachineinstancemigrations.kubevirt.io.yaml`]);
});

afterAll(async () => {
  await s?.stop();
});

describe('kubectl against virtsim apiserver', () => {
  it('serves the KubeVirt CRDs applied server-side, with their short names in api-resources', async () => {
    const out = await ok(['api-resources']);
    expect(out).toMatch(/virtualmachineinstances\s+vmi,vmis\s+kubevirt\.io\/v1\s+true\s+VirtualMachineInstance/);
    expect(out).toMatch(/nodes\s+no\s+v1\s+false\s+Node/);
    const crd = await json(['get', 'crd', 'virtualmachineinstances.kubevirt.io']);
    expect(crd.status.conditions.find((c: any) => c.type === 'Established').status).toBe('True');
  });

  it('loads the KWOK Stage CRD with create -f, and a KubeVirt CRD again with create -f after deleting it', async () => {
    expect(await ok(['create', '-f', `${KV_CRDS}/kwok.x-k8s.io_stages.yaml`])).toContain('customresourcedefinition.apiextensions.k8s.io/stages.kwok.x-k8s.io created');
    await ok(['delete', 'crd', 'virtualmachineinstancemigrations.kubevirt.io']);
    expect(await ok(['create', '-f', `${KV_CRDS}/virtualmachineinstancemigrations.kubevirt.io.yaml`])).toContain('created');
    expect(await ok(['get', 'stages.kwok.x-k8s.io'])).toBe('');
  });

  it('refuses a client-side apply of the biggest KubeVirt CRD as kube-apiserver does (last-applied annotation too long)', async () => {
    const r = await s.kubectl(['apply', '-f', `${KV_CRDS}/virtualmachines.kubevirt.io.yaml`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('metadata.annotations: Too long: must have at most 262144 bytes');
  });

  it('applies the KubeVirt examples and lists VMIs with their printer columns', async () => {
    for (const f of ['vmi-fedora', 'vmi-ephemeral', 'vmi-masquerade', 'vmi-migratable', 'vm-cirros', 'migration-job'])
      expect(await ok(['apply', '-f', `${REF}/kubevirt/examples/${f}.yaml`])).toMatch(/created|configured/);
    const out = await ok(['get', 'vmi']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+AGE\s+PHASE\s+IP\s+NODENAME\s+READY/);
    expect(out).toContain('vmi-fedora');
    expect(out).toContain('vmi-migratable');
    expect(await ok(['get', 'vm'])).toContain('vm-cirros');
  });

  it('streams changes to get -w', async () => {
    await ok(['create', 'configmap', 'watched', '--from-literal=v=one']);
    const child = s.spawnKubectl(['get', 'configmap', 'watched', '-w', '--output-watch-events']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await waitFor('the initial ADDED event', () => /ADDED\s+watched\s+1\s/.test(out));
      await ok(['patch', 'configmap', 'watched', '--type', 'merge', '-p', '{"data":{"w":"two"}}']);
      await waitFor('MODIFIED event', () => /MODIFIED\s+watched\s+2\s/.test(out));
      await ok(['delete', 'configmap', 'watched']);
      await waitFor('DELETED event', () => /DELETED\s+watched/.test(out));
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('prints a table watch (get -w) with one header and a row per change', async () => {
    await ok(['create', 'namespace', 'watch-table']);
    const child = s.spawnKubectl(['get', 'pods', '-n', 'watch-table', '-w']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await ok(['-n', 'watch-table', 'run', 'p1', '--image=busybox:1']);
      await waitFor('the pod row', () => /p1\s+0\/1\s+Pending/.test(out));
      await ok(['-n', 'watch-table', 'label', 'pod', 'p1', 'x=y']);
      await waitFor('a second row', () => (out.match(/^p1\s/gm) ?? []).length >= 2);
      expect((out.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/gm) ?? []).length).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('patches with merge, json (with test) and strategic patches, and the status subresource', async () => {
    await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: patched, labels: {app: a}}
spec:
  containers:
  - {name: main, image: busybox:1}
  - {name: side, image: busybox:1}
`);
    await ok(['patch', 'pod', 'patched', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"web"}}}']);
    await ok(['patch', 'pod', 'patched', '--type', 'json', '-p', '[{"op":"test","path":"/metadata/labels/app","value":"a"},{"op":"replace","path":"/metadata/labels/app","value":"b"}]']);
    const failed = await s.kubectl(['patch', 'pod', 'patched', '--type', 'json', '-p', '[{"op":"test","path":"/metadata/labels/app","value":"zzz"}]']);
    expect(failed.code).not.toBe(0);
    // strategic: containers merge by name, so only "side" changes and "main" stays
    await ok(['patch', 'pod', 'patched', '--type', 'strategic', '-p', '{"spec":{"containers":[{"name":"side","image":"busybox:2"}]}}']);
    let pod = await json(['get', 'pod', 'patched']);
    expect(pod.metadata.labels).toEqual({ app: 'b', tier: 'web' });
    expect(pod.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['main=busybox:1', 'side=busybox:2']);
    await ok(['patch', 'pod', 'patched', '--subresource=status', '--type', 'strategic', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}']);
    await ok(['patch', 'pod', 'patched', '--subresource=status', '--type', 'strategic', '-p', '{"status":{"conditions":[{"type":"Initialized","status":"True"}]}}']);
    pod = await json(['get', 'pod', 'patched']);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.conditions.map((c: any) => c.type).sort()).toEqual(['Initialized', 'Ready']);
    // a status change through the main resource is ignored for kinds with a status subresource
    await ok(['patch', 'pod', 'patched', '--type', 'merge', '-p', '{"status":{"phase":"Failed"}}']);
    expect((await json(['get', 'pod', 'patched'])).status.phase).toBe('Running');
  });

  it('holds a delete on a finalizer and completes it when the finalizer goes', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\ndata: {a: b}\n');
    const del = s.spawnKubectl(['delete', 'configmap', 'held', '--timeout=60s']);
    const exited = new Promise<number | null>((r) => del.once('exit', (c) => r(c)));
    try {
      const cm = await waitFor('deletionTimestamp', async () => {
        const o = await json(['get', 'configmap', 'held']);
        return o.metadata.deletionTimestamp ? o : null;
      });
      expect(cm.metadata.finalizers).toEqual(['example.com/hold']);
      expect(del.exitCode).toBeNull();
      await ok(['patch', 'configmap', 'held', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
      expect(await exited).toBe(0);
      const r = await s.kubectl(['get', 'configmap', 'held']);
      expect(r.stderr).toContain('configmaps "held" not found');
    } finally {
      del.kill();
    }
  });

  it("lets only KubeVirt's service accounts change VMI status, and refuses reserved label changes", async () => {
    await ok(['patch', 'vmi', 'vmi-fedora', '--type', 'merge', '-p', '{"status":{"phase":"Running"}}']);
    expect((await json(['get', 'vmi', 'vmi-fedora'])).status?.phase).toBeUndefined();
    await ok(['--as', CONTROLLER, 'patch', 'vmi', 'vmi-fedora', '--type', 'merge', '-p', '{"status":{"phase":"Scheduled","nodeName":"node-1"}}']);
    expect((await json(['get', 'vmi', 'vmi-fedora'])).status).toMatchObject({ phase: 'Scheduled', nodeName: 'node-1' });
    // the audit log names the acting (impersonated) user and who impersonated
    const audit = s.logs().split('\n').filter((l) => l.includes('"audit":true')).map((l) => JSON.parse(l));
    expect(audit).toContainEqual(expect.objectContaining({ user: CONTROLLER, impersonatedBy: 'kubernetes-admin', verb: 'patch', resource: 'virtualmachineinstances', name: 'vmi-fedora', code: 200 }));
    const r = await s.kubectl(['label', 'vmi', 'vmi-fedora', 'kubevirt.io/nodeName=node-2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('modification of the following reserved kubevirt.io/ labels on a VMI object is prohibited');
    await ok(['--as', CONTROLLER, 'label', 'vmi', 'vmi-fedora', 'kubevirt.io/nodeName=node-1']);
    expect(await ok(['get', 'vmi', 'vmi-fedora'])).toMatch(/vmi-fedora\s+\S+\s+Scheduled\s+node-1/);
    const stranger = await s.kubectl(['--as', 'system:serviceaccount:default:someone', 'get', 'vmi']);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain('forbidden');
  });

  it('applies server-side with field managers, and refuses to take a field another manager owns', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {owned: "${v}"}\n`;
    await ok(['apply', '--server-side', '--field-manager', 'alice', '-f', '-'], cm('a'));
    const r = await s.kubectl(['apply', '--server-side', '--field-manager', 'bob', '-f', '-'], { input: cm('b') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('conflict with "alice"');
    expect(r.stderr).toContain('.data.owned');
    await ok(['apply', '--server-side', '--field-manager', 'bob', '--force-conflicts', '-f', '-'], cm('b'));
    const o = await json(['get', 'configmap', 'shared', '--show-managed-fields']);
    expect(o.data.owned).toBe('b');
    expect(o.metadata.managedFields.map((m: any) => m.manager)).toContain('bob');
  });

  it('validates custom resources against the CRD schema (422 naming the field) and prunes unknown fields', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], { input: 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: bad}\nspec: {domain: {devices: {}, memory: {guest: 1Gi}}, terminationGracePeriodSeconds: "soon"}\n' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.terminationGracePeriodSeconds: Invalid value: "string": spec\.terminationGracePeriodSeconds in body must be of type integer/);
    await ok(['apply', '--server-side', '--validate=false', '-f', '-'], 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: pruned}\nspec: {domain: {devices: {}}, bogusField: 1}\n');
    const o = await json(['get', 'vmi', 'pruned']);
    expect(o.spec.domain).toBeDefined();
    expect(o.spec.bogusField).toBeUndefined();
  });

  it('takes the protobuf bodies of kubectl create secret/serviceaccount/namespace', async () => {
    await ok(['create', 'namespace', 'pb']);
    await ok(['-n', 'pb', 'create', 'secret', 'generic', 's1', '--from-literal=k=v']);
    await ok(['-n', 'pb', 'create', 'serviceaccount', 'sa1']);
    expect((await ok(['-n', 'pb', 'get', 'secret', 's1'])).split('\n')[1]).toMatch(/^s1\s+Opaque\s+1\s/);
    const secret = await json(['-n', 'pb', 'get', 'secret', 's1']);
    expect(Buffer.from(secret.data.k, 'base64').toString()).toBe('v');
    expect((await json(['-n', 'pb', 'get', 'sa', 'sa1'])).metadata.namespace).toBe('pb');
  });

  it('shows pending changes with kubectl diff (server-side dry run) without applying them', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: diffed}\ndata: {a: "1"}\n');
    const r = await s.kubectl(['diff', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: diffed}\ndata: {a: "2"}\n' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^-\s+a: "1"$/m);
    expect(r.stdout).toMatch(/^\+\s+a: "2"$/m);
    expect((await json(['get', 'configmap', 'diffed'])).data.a).toBe('1');
  });

  it('prints node columns as kubectl does', async () => {
    await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {node-role.kubernetes.io/worker: "", kubevirt.io/schedulable: "true"}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.32.0-fake}
`);
    const lines = (await ok(['get', 'nodes'])).trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(lines[1]).toMatch(/^node-1\s+Ready\s+worker\s+\d+s\s+v1\.32\.0-fake$/);
  });
});
