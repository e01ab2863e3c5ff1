// kube-controller-manager's per-controller policy (`system:controller:*`), as kube-apiserver 1.26
// creates it at start: compared field by field with Kubernetes 1.26's golden files
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/controller-roles.yaml,
// controller-role-bindings.yaml, namespace-roles.yaml), then used as a controller uses it: a token
// of kube-system's namespace-controller service account, and `kubectl auth can-i --as` the others.
// Against `virtsim apiserver` started as a child process with a data dir, restarted at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;
let dataDir: string;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const getJson = async (args: string[]) => JSON.parse(await ok(['get', ...args, '-o', 'json']));

/** `kubectl auth can-i --as USER ...`: "yes" (exit 0) or "no" (exit 1). */
async function canAs(user: string, args: string[]): Promise<string> {
  const r = await s.kubectl(['auth', 'can-i', '--as', user, ...args]);
  const answer = r.stdout.trim();
  expect(r.code, `${user} ${args.join(' ')}: ${r.stderr}`).toBe(answer === 'yes' ? 0 : 1);
  return answer;
}
const ctl = (name: string) => `system:serviceaccount:kube-system:${name}`;

const EVENTS = { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] };

/** The rules of a few roles, as Kubernetes 1.26.0's controller-roles.yaml has them. */
const GOLDEN_RULES: Record<string, unknown[]> = {
  'namespace-controller': [
    { apiGroups: [''], resources: ['namespaces'], verbs: ['delete', 'get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['namespaces/finalize', 'namespaces/status'], verbs: ['update'] },
    { apiGroups: ['*'], resources: ['*'], verbs: ['delete', 'deletecollection', 'get', 'list'] },
  ],
  'generic-garbage-collector': [{ apiGroups: ['*'], resources: ['*'], verbs: ['delete', 'get', 'list', 'patch', 'update', 'watch'] }, EVENTS],
  'replicaset-controller': [
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: ['get', 'list', 'update', 'watch'] },
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets/status'], verbs: ['update'] },
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'patch', 'watch'] },
    EVENTS,
  ],
  'node-controller': [
    { apiGroups: [''], resources: ['nodes'], verbs: ['delete', 'get', 'list', 'patch', 'update'] },
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list'] },
    { apiGroups: ['networking.k8s.io'], resources: ['clustercidrs'], verbs: ['create', 'get', 'list', 'update'] },
    EVENTS,
    { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch'] },
  ],
  'service-account-controller': [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] }, EVENTS],
  'endpoint-controller': [
    { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['endpoints'], verbs: ['create', 'delete', 'get', 'list', 'update'] },
    { apiGroups: [''], resources: ['endpoints/restricted'], verbs: ['create'] },
    EVENTS,
  ],
  'certificate-controller': [
    { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['delete', 'get', 'list', 'watch'] },
    { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval', 'certificatesigningrequests/status'], verbs: ['update'] },
    { apiGroups: ['certificates.k8s.io'], resourceNames: ['kubernetes.io/kube-apiserver-client-kubelet'], resources: ['signers'], verbs: ['approve'] },
    {
      apiGroups: ['certificates.k8s.io'],
      resourceNames: ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown'],
      resources: ['signers'],
      verbs: ['sign'],
    },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    EVENTS,
  ],
};

/** Every controller of 1.26's controller-roles.yaml (feature gates at their 1.26 defaults). */
const CONTROLLERS_1_26 = [
  'attachdetach-controller', 'certificate-controller', 'clusterrole-aggregation-controller', 'cronjob-controller', 'daemon-set-controller',
  'deployment-controller', 'disruption-controller', 'endpoint-controller', 'endpointslice-controller', 'endpointslicemirroring-controller',
  'ephemeral-volume-controller', 'expand-controller', 'generic-garbage-collector', 'horizontal-pod-autoscaler', 'job-controller',
  'namespace-controller', 'node-controller', 'persistent-volume-binder', 'pod-garbage-collector', 'pv-protection-controller',
  'pvc-protection-controller', 'replicaset-controller', 'replication-controller', 'resourcequota-controller', 'root-ca-cert-publisher',
  'route-controller', 'service-account-controller', 'service-controller', 'statefulset-controller', 'ttl-after-finished-controller',
  'ttl-controller',
];

const BOOTSTRAP_META = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'virtsim-rbac-ctl-'));
  s = await startApiServerForTest({ dataDir });
  await ok(['create', 'namespace', 'dev']);
});

afterAll(async () => {
  await s?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("kube-controller-manager's per-controller roles (system:controller:*)", () => {
  it('creates a ClusterRole and a ClusterRoleBinding to kube-system/NAME for every controller of 1.26, with the golden rules', async () => {
    const roles = (await getJson(['clusterroles'])).items.filter((r: any) => r.metadata.name.startsWith('system:controller:'));
    expect(roles.map((r: any) => r.metadata.name.slice('system:controller:'.length)).sort()).toEqual(CONTROLLERS_1_26);
    const bindings = (await getJson(['clusterrolebindings'])).items.filter((b: any) => b.metadata.name.startsWith('system:controller:'));
    expect(bindings).toHaveLength(CONTROLLERS_1_26.length);
    for (const b of bindings) {
      const name = b.metadata.name.slice('system:controller:'.length);
      expect(b.roleRef, b.metadata.name).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.metadata.name });
      expect(b.subjects, b.metadata.name).toEqual([{ kind: 'ServiceAccount', name, namespace: 'kube-system' }]);
      expect(b.metadata, b.metadata.name).toMatchObject(BOOTSTRAP_META);
    }
    for (const [name, rules] of Object.entries(GOLDEN_RULES)) {
      const role = await getJson(['clusterrole', `system:controller:${name}`]);
      expect(role.metadata, name).toMatchObject(BOOTSTRAP_META);
      expect(role.rules, name).toEqual(rules);
      expect(role.aggregationRule, name).toBeUndefined();
    }
  });

  it("creates namespace_policy.go's controller Roles and RoleBindings in kube-system and kube-public", async () => {
    const signer = await getJson(['role', 'system:controller:bootstrap-signer', '-n', 'kube-public']);
    expect(signer.metadata).toMatchObject(BOOTSTRAP_META);
    expect(signer.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resourceNames: ['cluster-info'], resources: ['configmaps'], verbs: ['update'] },
      EVENTS,
    ]);
    expect((await getJson(['role', 'system:controller:token-cleaner', '-n', 'kube-system'])).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['delete', 'get', 'list', 'watch'] },
      EVENTS,
    ]);
    const expectBinding = async (ns: string, name: string, sa: string) => {
      const b = await getJson(['rolebinding', name, '-n', ns]);
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: 'kube-system' }]);
    };
    await expectBinding('kube-public', 'system:controller:bootstrap-signer', 'bootstrap-signer');
    await expectBinding('kube-system', 'system:controller:bootstrap-signer', 'bootstrap-signer');
    await expectBinding('kube-system', 'system:controller:token-cleaner', 'token-cleaner');
    await expectBinding('kube-system', 'system:controller:cloud-provider', 'cloud-provider');
  });

  it("lets kube-system's namespace-controller, with its own token, list namespaces and delete collections, and refuses what its role lacks", async () => {
    await ok(['create', 'serviceaccount', 'namespace-controller', '-n', 'kube-system']);
    const token = (await ok(['create', 'token', 'namespace-controller', '-n', 'kube-system'])).trim();
    const raw = rawClient(s.url, s.caPem, token);
    await ok(['create', 'configmap', 'a', '-n', 'dev', '--from-literal=k=v']);
    await ok(['create', 'configmap', 'b', '-n', 'dev', '--from-literal=k=v']);

    const namespaces = await raw('GET', '/api/v1/namespaces');
    expect(namespaces.status, namespaces.text).toBe(200);
    expect(namespaces.json().items.map((n: any) => n.metadata.name)).toContain('dev');
    expect((await raw('GET', '/apis/apps/v1/namespaces/dev/deployments')).status).toBe(200);
    const deleted = await raw('DELETE', '/api/v1/namespaces/dev/configmaps');
    expect(deleted.status, deleted.text).toBe(200);
    expect((await getJson(['configmaps', '-n', 'dev'])).items.filter((c: any) => c.metadata.name === 'a' || c.metadata.name === 'b')).toEqual([]);

    const create = await raw('POST', '/api/v1/namespaces/dev/configmaps', JSON.stringify({ metadata: { name: 'c' } }), { 'content-type': 'application/json' });
    expect(create.status).toBe(403);
    expect(create.json().message).toBe('configmaps is forbidden: User "system:serviceaccount:kube-system:namespace-controller" cannot create resource "configmaps" in API group "" in the namespace "dev"');
    const patch = await raw('PATCH', '/api/v1/namespaces/dev', '{"metadata":{"labels":{"x":"y"}}}', { 'content-type': 'application/merge-patch+json' });
    expect(patch.status).toBe(403);
    expect((await raw('PUT', '/api/v1/namespaces/dev/finalize', JSON.stringify(await getJson(['namespace', 'dev'])), { 'content-type': 'application/json' })).status).not.toBe(403);
  });

  it('answers kubectl auth can-i --as each controller as its 1.26 role says', async () => {
    const rs = ctl('replicaset-controller');
    expect(await canAs(rs, ['create', 'pods', '-n', 'dev'])).toBe('yes');
    expect(await canAs(rs, ['create', 'secrets', '-n', 'dev'])).toBe('no');
    expect(await canAs(rs, ['update', 'replicasets.apps', '--subresource=status', '-n', 'dev'])).toBe('yes');
    expect(await canAs(rs, ['delete', 'replicasets.apps', '-n', 'dev'])).toBe('no');
    expect(await canAs(ctl('generic-garbage-collector'), ['patch', 'deployments.apps', '-n', 'dev'])).toBe('yes');
    expect(await canAs(ctl('generic-garbage-collector'), ['create', 'pods', '-n', 'dev'])).toBe('no');
    expect(await canAs(ctl('node-controller'), ['patch', 'pods', '--subresource=status', '-n', 'dev'])).toBe('yes');
    expect(await canAs(ctl('node-controller'), ['delete', 'nodes'])).toBe('yes');
    expect(await canAs(ctl('node-controller'), ['create', 'nodes'])).toBe('no');
    expect(await canAs(ctl('horizontal-pod-autoscaler'), ['update', 'deployments.apps', '--subresource=scale', '-n', 'dev'])).toBe('yes');
    expect(await canAs(ctl('service-account-controller'), ['create', 'serviceaccounts', '-n', 'dev'])).toBe('yes');
    expect(await canAs(ctl('service-account-controller'), ['delete', 'serviceaccounts', '-n', 'dev'])).toBe('no');
    expect(await canAs(ctl('bootstrap-signer'), ['update', 'configmaps/cluster-info', '-n', 'kube-public'])).toBe('yes');
    expect(await canAs(ctl('bootstrap-signer'), ['update', 'configmaps/other', '-n', 'kube-public'])).toBe('no');
    // Another namespace's account of the same name is not the controller.
    expect(await canAs('system:serviceaccount:dev:replicaset-controller', ['create', 'pods', '-n', 'dev'])).toBe('no');
  });

  it('keeps them across a restart with the data dir, a changed one as it was changed, and creates a deleted one again', async () => {
    await ok(['label', 'clusterrole', 'system:controller:ttl-controller', 'changed=yes']);
    await ok(['delete', 'clusterrolebinding', 'system:controller:route-controller']);
    await s.stop();
    s = await startApiServerForTest({ dataDir });
    const roles = (await getJson(['clusterroles'])).items.filter((r: any) => r.metadata.name.startsWith('system:controller:'));
    expect(roles).toHaveLength(CONTROLLERS_1_26.length);
    expect((await getJson(['clusterrole', 'system:controller:ttl-controller'])).metadata.labels.changed).toBe('yes');
    expect((await getJson(['clusterrolebinding', 'system:controller:route-controller'])).subjects).toEqual([{ kind: 'ServiceAccount', name: 'route-controller', namespace: 'kube-system' }]);
    expect((await getJson(['clusterrole', 'system:controller:namespace-controller'])).rules).toEqual(GOLDEN_RULES['namespace-controller']);
    expect(await canAs(ctl('replicaset-controller'), ['create', 'pods', '-n', 'dev'])).toBe('yes');
  });
});
