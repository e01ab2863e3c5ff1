// RBAC as a user checks it: kubectl (as another user, with --as, and `auth can-i`) and raw
// access reviews against `virtsim apiserver` started as a child process with a token file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;
let tokensDir: string;
const JANE = 'jane-token-0123456789';
const BOB = 'bob-token-0123456789';

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `kubectl auth can-i` as the token's user: "yes" (exit 0) or "no" (exit 1). */
async function canI(token: string | null, args: string[]): Promise<string> {
  const r = await s.kubectl([...(token ? ['--token', token] : []), 'auth', 'can-i', ...args]);
  const answer = r.stdout.trim();
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(answer === 'yes' ? 0 : 1);
  return answer;
}

beforeAll(async () => {
  tokensDir = mkdtempSync(join(tmpdir(), 'virtsim-rbac-'));
  const file = join(tokensDir, 'tokens.csv');
  writeFileSync(file, `${JANE},jane,u1\n${BOB},bob,u2,"devs"\n`);
  s = await startApiServerForTest({ args: ['--token-file', file] });
  await ok(['create', 'namespace', 'dev']);
  await ok(['create', 'namespace', 'prod']);
});

afterAll(async () => {
  await s?.stop();
  rmSync(tokensDir, { recursive: true, force: true });
});

describe('RBAC', () => {
  it("refuses a user with no binding with kube-apiserver's message, then allows what a RoleBinding grants in its namespace only", async () => {
    const denied = await s.kubectl(['--token', JANE, 'get', 'pods', '-n', 'dev']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "dev"');
    const named = await s.kubectl(['--token', JANE, 'get', 'configmap', 'x', '-n', 'dev']);
    expect(named.stderr).toContain('configmaps "x" is forbidden: User "jane" cannot get resource "configmaps" in API group "" in the namespace "dev"');
    await ok(['create', 'role', 'pod-reader', '-n', 'dev', '--verb=get,list,watch', '--resource=pods']);
    await ok(['create', 'rolebinding', 'jane-reads', '-n', 'dev', '--role=pod-reader', '--user=jane']);
    await waitFor('jane may list pods in dev', async () => (await s.kubectl(['--token', JANE, 'get', 'pods', '-n', 'dev'])).code === 0);
    expect(await canI(JANE, ['list', 'pods', '-n', 'dev'])).toBe('yes');
    expect(await canI(JANE, ['list', 'pods', '-n', 'prod'])).toBe('no');
    expect(await canI(JANE, ['delete', 'pods', '-n', 'dev'])).toBe('no');
    expect(await canI(JANE, ['list', 'pods', '--all-namespaces'])).toBe('no');
  });

  it('grants a ClusterRole through a RoleBinding in one namespace, and through a ClusterRoleBinding to a group everywhere', async () => {
    await ok(['create', 'clusterrole', 'secret-reader', '--verb=get,list', '--resource=secrets']);
    await ok(['create', 'rolebinding', 'devs-secrets', '-n', 'dev', '--clusterrole=secret-reader', '--group=devs']);
    await waitFor('bob may read secrets in dev', async () => (await canI(BOB, ['get', 'secrets', '-n', 'dev'])) === 'yes');
    expect(await canI(BOB, ['get', 'secrets', '-n', 'prod'])).toBe('no');
    await ok(['create', 'clusterrolebinding', 'devs-secrets-everywhere', '--clusterrole=secret-reader', '--group=devs']);
    await waitFor('bob may read secrets in prod', async () => (await canI(BOB, ['get', 'secrets', '-n', 'prod'])) === 'yes');
    expect(await canI(JANE, ['get', 'secrets', '-n', 'prod'])).toBe('no');
  });

  it('limits a rule to resourceNames, matches subresources and wildcards', async () => {
    await ok(['create', 'role', 'one-config', '-n', 'dev', '--verb=get,update', '--resource=configmaps', '--resource-name=app-config']);
    await ok(['create', 'role', 'logs', '-n', 'dev', '--verb=get', '--resource=pods/log']);
    await ok(['create', 'role', 'everything-apps', '-n', 'dev', '--verb=*', '--resource=deployments.apps,statefulsets.apps']);
    for (const r of ['one-config', 'logs', 'everything-apps']) await ok(['create', 'rolebinding', `jane-${r}`, '-n', 'dev', `--role=${r}`, '--user=jane']);
    await waitFor('jane may get app-config', async () => (await canI(JANE, ['get', 'configmaps/app-config', '-n', 'dev'])) === 'yes');
    expect(await canI(JANE, ['get', 'configmaps/other', '-n', 'dev'])).toBe('no');
    expect(await canI(JANE, ['list', 'configmaps', '-n', 'dev'])).toBe('no');
    expect(await canI(JANE, ['get', 'pods', '--subresource=log', '-n', 'dev'])).toBe('yes');
    expect(await canI(JANE, ['get', 'pods', '--subresource=exec', '-n', 'dev'])).toBe('no');
    expect(await canI(JANE, ['delete', 'deployments.apps', '-n', 'dev'])).toBe('yes');
    expect(await canI(JANE, ['delete', 'daemonsets.apps', '-n', 'dev'])).toBe('no');
  });

  it('lists what a user may do in a namespace with kubectl auth can-i --list (SelfSubjectRulesReview)', async () => {
    const r = await s.kubectl(['--token', JANE, 'auth', 'can-i', '--list', '-n', 'dev']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    expect(r.stdout).toMatch(/^configmaps\s+\[\]\s+\[app-config\]\s+\[get update\]/m);
    expect(r.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/m);
    const prod = await s.kubectl(['--token', JANE, 'auth', 'can-i', '--list', '-n', 'prod']);
    expect(prod.stdout).not.toMatch(/^pods\s/m);
  });

  it('grants nonResourceURLs by exact path or trailing-* prefix, only through ClusterRoleBindings', async () => {
    expect(await canI(JANE, ['get', '/logs/kube-apiserver.log'])).toBe('no');
    await ok(['create', 'clusterrole', 'log-reader', '--verb=get', '--non-resource-url=/logs/*', '--non-resource-url=/metrics']);
    await ok(['create', 'clusterrolebinding', 'jane-logs', '--clusterrole=log-reader', '--user=jane']);
    await waitFor('jane may get /metrics', async () => (await canI(JANE, ['get', '/metrics'])) === 'yes');
    expect(await canI(JANE, ['get', '/logs/kube-apiserver.log'])).toBe('yes');
    expect(await canI(JANE, ['get', '/healthz/etcd'])).toBe('no');
    expect(await canI(JANE, ['post', '/metrics'])).toBe('no');
  });

  it('binds service accounts (system:serviceaccount:NS:NAME) and their groups', async () => {
    await ok(['create', 'serviceaccount', 'bot', '-n', 'dev']);
    await ok(['create', 'rolebinding', 'bot-reads', '-n', 'dev', '--role=pod-reader', '--serviceaccount=dev:bot']);
    await ok(['create', 'rolebinding', 'all-sa-in-prod', '-n', 'prod', '--clusterrole=secret-reader', '--group=system:serviceaccounts:dev']);
    await waitFor('bot may list pods', async () => (await canI(null, ['--as', 'system:serviceaccount:dev:bot', 'list', 'pods', '-n', 'dev'])) === 'yes');
    expect(await canI(null, ['--as', 'system:serviceaccount:prod:bot', 'list', 'pods', '-n', 'dev'])).toBe('no');
    expect(await canI(null, ['--as', 'system:serviceaccount:dev:bot', 'get', 'secrets', '-n', 'prod'])).toBe('yes');
    expect(await canI(null, ['--as', 'system:serviceaccount:dev:bot', 'get', 'secrets', '-n', 'dev'])).toBe('no');
  });

  it('fills an aggregated ClusterRole from the roles labelled for it, and its bindings gain their rules', async () => {
    await ok(['create', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules: []
`);
    await ok(['create', 'clusterrolebinding', 'jane-monitoring', '--clusterrole=monitoring', '--user=jane']);
    expect(await canI(JANE, ['list', 'nodes'])).toBe('no');
    await ok(['create', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring-nodes, labels: {rbac.example.com/aggregate-to-monitoring: "true"}}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list]}
`);
    await waitFor('jane may list nodes', async () => (await canI(JANE, ['list', 'nodes'])) === 'yes');
    const agg = JSON.parse(await ok(['get', 'clusterrole', 'monitoring', '-o', 'json']));
    expect(agg.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }]);
    await ok(['label', 'clusterrole', 'monitoring-nodes', 'rbac.example.com/aggregate-to-monitoring-']);
    await waitFor('jane may no longer list nodes', async () => (await canI(JANE, ['list', 'nodes'])) === 'no');
  });

  it('allows impersonation only where the impersonate verb is granted, per name', async () => {
    const refused = await s.kubectl(['--token', JANE, '--as', 'someone', 'get', 'pods', '-n', 'dev']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('users "someone" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope');
    await ok(['create', 'clusterrole', 'impersonate-someone', '--verb=impersonate', '--resource=users', '--resource-name=someone']);
    await ok(['create', 'rolebinding', 'someone-reads', '-n', 'dev', '--role=pod-reader', '--user=someone']);
    await ok(['create', 'clusterrolebinding', 'jane-impersonates', '--clusterrole=impersonate-someone', '--user=jane']);
    await waitFor('jane may act as someone', async () => (await s.kubectl(['--token', JANE, '--as', 'someone', 'get', 'pods', '-n', 'dev'])).code === 0);
    const other = await s.kubectl(['--token', JANE, '--as', 'another', 'get', 'pods', '-n', 'dev']);
    expect(other.stderr).toContain('users "another" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope');
    const group = await s.kubectl(['--token', JANE, '--as', 'someone', '--as-group', 'system:masters', 'get', 'pods', '-n', 'dev']);
    expect(group.stderr).toContain('groups "system:masters" is forbidden: User "jane" cannot impersonate resource "groups" in API group "" at the cluster scope');
    const sa = await s.kubectl(['--token', JANE, '--as', 'system:serviceaccount:dev:bot', 'get', 'pods', '-n', 'dev']);
    expect(sa.stderr).toContain('serviceaccounts "bot" is forbidden: User "jane" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "dev"');
  });

  it('answers SubjectAccessReview and LocalSubjectAccessReview with allowed and the deciding binding', async () => {
    const raw = rawClient(s.url, s.caPem, s.token);
    const review = async (path: string, spec: object) => {
      const r = await raw('POST', path, JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: path.includes('local') ? 'LocalSubjectAccessReview' : 'SubjectAccessReview', spec }), { 'content-type': 'application/json' });
      expect(r.status, r.text).toBe(201);
      return r.json();
    };
    const sar = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    expect((await review(sar, { user: 'jane', resourceAttributes: { namespace: 'dev', verb: 'list', resource: 'pods' } })).status)
      .toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "dev/jane-reads" of Role "pod-reader" to User "jane"' });
    expect((await review(sar, { user: 'jane', resourceAttributes: { namespace: 'prod', verb: 'list', resource: 'pods' } })).status).toEqual({ allowed: false });
    expect((await review(sar, { user: 'x', groups: ['system:masters'], nonResourceAttributes: { path: '/anything', verb: 'get' } })).status.allowed).toBe(true);
    const lsar = '/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews';
    expect((await review(lsar, { user: 'jane', resourceAttributes: { verb: 'get', resource: 'pods' } })).status.allowed).toBe(true);
    const wrongNs = await raw('POST', lsar, JSON.stringify({ kind: 'LocalSubjectAccessReview', spec: { user: 'jane', resourceAttributes: { namespace: 'prod', verb: 'get', resource: 'pods' } } }), { 'content-type': 'application/json' });
    expect(wrongNs.status).toBe(400);
    const noSubject = await raw('POST', sar, JSON.stringify({ kind: 'SubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } }), { 'content-type': 'application/json' });
    expect(noSubject.status).toBe(422);
    expect(noSubject.json().message).toContain('at least one of user or group must be specified');
    expect((await raw('GET', sar)).status).toBe(405);
    // Creating a SubjectAccessReview is itself authorized: jane has no right to ask about others.
    const asJane = await rawClient(s.url, s.caPem, JANE)('POST', sar, JSON.stringify({ kind: 'SubjectAccessReview', spec: { user: 'bob', resourceAttributes: { verb: 'get', resource: 'pods' } } }), { 'content-type': 'application/json' });
    expect(asJane.status).toBe(403);
  });

  it('refuses to change a binding\'s roleRef', async () => {
    const r = await s.kubectl(['patch', 'rolebinding', 'jane-reads', '-n', 'dev', '--type', 'merge', '-p', '{"roleRef":{"name":"other"}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The RoleBinding "jane-reads" is invalid: roleRef: Invalid value');
    expect(r.stderr).toContain('cannot change roleRef');
  });

  it("has Kubernetes' default roles: the scheduler's and controller manager's identities, auth-delegator, and admin/edit/view filled by aggregation", async () => {
    const scheduler = ['--as', 'system:kube-scheduler'];
    expect(await canI(null, [...scheduler, 'create', 'pods', '--subresource=binding', '-n', 'dev'])).toBe('yes');
    expect(await canI(null, [...scheduler, 'update', 'leases/kube-scheduler', '-n', 'kube-system'])).toBe('yes');
    expect(await canI(null, [...scheduler, 'update', 'leases/other', '-n', 'kube-system'])).toBe('no');
    expect(await canI(null, [...scheduler, 'list', 'persistentvolumes'])).toBe('yes');
    expect(await canI(null, [...scheduler, 'get', 'configmaps/extension-apiserver-authentication', '-n', 'kube-system'])).toBe('yes');
    expect(await canI(null, [...scheduler, 'delete', 'nodes'])).toBe('no');
    expect(await canI(null, ['--as', 'system:kube-controller-manager', 'watch', 'deployments.apps', '--all-namespaces'])).toBe('yes');
    expect(await canI(null, ['--as', 'system:kube-controller-manager', 'delete', 'pods', '-n', 'dev'])).toBe('no');

    await ok(['create', 'clusterrolebinding', 'virt-api-delegator', '--clusterrole=system:auth-delegator', '--serviceaccount=kubevirt:kubevirt-apiserver']);
    await waitFor('virt-api may create TokenReviews', async () => (await canI(null, ['--as', 'system:serviceaccount:kubevirt:kubevirt-apiserver', 'create', 'tokenreviews.authentication.k8s.io'])) === 'yes');

    // view is filled from system:aggregate-to-view, and from a role a user labels for it (as KubeVirt's kubevirt.io:view is).
    await ok(['create', 'rolebinding', 'frank-views', '-n', 'dev', '--clusterrole=view', '--user=frank']);
    await waitFor('frank may list pods in dev', async () => (await canI(null, ['--as', 'frank', 'list', 'pods', '-n', 'dev'])) === 'yes');
    expect(await canI(null, ['--as', 'frank', 'get', 'secrets', '-n', 'dev'])).toBe('no');
    expect(await canI(null, ['--as', 'frank', 'list', 'podtemplates', '-n', 'dev'])).toBe('no');
    await ok(['create', 'clusterrole', 'podtemplate-view', '--verb=get,list,watch', '--resource=podtemplates']);
    await ok(['label', 'clusterrole', 'podtemplate-view', 'rbac.authorization.k8s.io/aggregate-to-view=true']);
    await waitFor('view gains the labelled role', async () => (await canI(null, ['--as', 'frank', 'list', 'podtemplates', '-n', 'dev'])) === 'yes');
    // ...and so do edit and admin, which aggregate view.
    await ok(['create', 'rolebinding', 'gina-admin', '-n', 'dev', '--clusterrole=admin', '--user=gina']);
    await waitFor('admin holds view and edit rights', async () => (await canI(null, ['--as', 'gina', 'list', 'podtemplates', '-n', 'dev'])) === 'yes');
    expect(await canI(null, ['--as', 'gina', 'delete', 'deployments.apps', '-n', 'dev'])).toBe('yes');
    expect(await canI(null, ['--as', 'gina', 'create', 'rolebindings', '-n', 'dev'])).toBe('yes');
  });

  it("keeps the fleet's identities working: KubeVirt's service accounts, impersonated by the admin", async () => {
    const controller = 'system:serviceaccount:kubevirt:kubevirt-controller';
    expect(await canI(null, ['--as', controller, 'patch', 'pods', '--subresource=status', '-n', 'dev'])).toBe('yes');
    expect(await canI(null, ['--as', 'system:serviceaccount:kubevirt:kubevirt-handler', 'delete', 'nodes'])).toBe('no');
    expect(await canI(null, ['create', 'clusterroles'])).toBe('yes');
    expect(await ok(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'jsonpath={.subjects[0].name}'])).toBe('system:masters');
  });
});

describe('RBAC across a restart', () => {
  it('decides from the policy kept in the data dir, and leaves a changed default object as it is', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-rbac-data-'));
    const tokens = join(dataDir, 'tokens.csv');
    writeFileSync(tokens, `${JANE},jane,u1\n`);
    try {
      const first = await startApiServerForTest({ dataDir, args: ['--token-file', tokens] });
      const kc = (args: string[]) => first.kubectl(args);
      expect((await kc(['create', 'clusterrole', 'node-reader', '--verb=list', '--resource=nodes'])).code).toBe(0);
      expect((await kc(['create', 'clusterrolebinding', 'jane-nodes', '--clusterrole=node-reader', '--user=jane'])).code).toBe(0);
      expect((await kc(['label', 'clusterrole', 'system:discovery', 'changed=yes'])).code).toBe(0);
      await first.stop();
      const second = await startApiServerForTest({ dataDir, args: ['--token-file', tokens] });
      try {
        const can = await second.kubectl(['--token', JANE, 'auth', 'can-i', 'list', 'nodes']);
        expect(can.stdout.trim()).toBe('yes');
        const cannot = await second.kubectl(['--token', JANE, 'auth', 'can-i', 'delete', 'nodes']);
        expect(cannot.stdout.trim()).toBe('no');
        expect((await second.kubectl(['get', 'clusterrole', 'system:discovery', '-o', 'jsonpath={.metadata.labels.changed}'])).stdout).toBe('yes');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('--authorization-mode AlwaysAllow', () => {
  it('lets every authenticated user do anything, impersonation included', async () => {
    const open = await startApiServerForTest({ inProcess: true, serverOptions: { authorizationMode: 'AlwaysAllow', tokens: [{ token: 'plain-token', user: { username: 'plain', groups: ['system:authenticated'] } }] } });
    try {
      const raw = rawClient(open.url, open.caPem, 'plain-token');
      expect((await raw('GET', '/api/v1/namespaces/default/secrets')).status).toBe(200);
      expect((await raw('GET', '/api/v1/nodes', undefined, { 'impersonate-user': 'someone' })).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
