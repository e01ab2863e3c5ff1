// RBAC's escalation prevention as a user meets it with kubectl: a user who may write Roles and
// RoleBindings still cannot grant or bind rights they do not hold, unless granted `escalate` or
// `bind`; the 403 lists the missing rights in kube-apiserver's words.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';

let s: ApiServerHarness;
let tokensDir: string;
const CAROL = 'carol-token-0123456789';
const DAVE = 'dave-token-0123456789';

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function refused(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  expect(r.code, `kubectl ${args.join(' ')} should be refused: ${r.stdout}`).not.toBe(0);
  return r.stderr;
}

const as = (token: string, ...args: string[]) => ['--token', token, ...args];

beforeAll(async () => {
  tokensDir = mkdtempSync(join(tmpdir(), 'virtsim-rbac-esc-'));
  const file = join(tokensDir, 'tokens.csv');
  writeFileSync(file, `${CAROL},carol,u1\n${DAVE},dave,u2,"ops"\n`);
  s = await startApiServerForTest({ args: ['--token-file', file] });
  await ok(['create', 'namespace', 'team']);
  // carol administers RBAC in "team" and may read pods there, nothing more.
  await ok(['create', 'role', 'rbac-writer', '-n', 'team', '--verb=create,update,patch,get', '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io']);
  await ok(['create', 'role', 'pod-reader', '-n', 'team', '--verb=get,list', '--resource=pods']);
  await ok(['create', 'rolebinding', 'carol-rbac', '-n', 'team', '--role=rbac-writer', '--user=carol']);
  await ok(['create', 'rolebinding', 'carol-pods', '-n', 'team', '--role=pod-reader', '--user=carol']);
  // dave may write ClusterRoles and ClusterRoleBindings, and holds nothing else.
  await ok(['create', 'clusterrole', 'cluster-rbac-writer', '--verb=create,update', '--resource=clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io']);
  await ok(['create', 'clusterrolebinding', 'dave-rbac', '--clusterrole=cluster-rbac-writer', '--group=ops']);
  await waitFor('carol may create roles in team', async () => (await s.kubectl(as(CAROL, 'auth', 'can-i', 'create', 'roles', '-n', 'team'))).code === 0);
});

afterAll(async () => {
  await s?.stop();
  rmSync(tokensDir, { recursive: true, force: true });
});

describe('RBAC escalation prevention', () => {
  it('lets a user write a Role with rights they hold, and refuses one with rights they lack, naming each missing right', async () => {
    await ok(as(CAROL, 'create', 'role', 'pod-viewer', '-n', 'team', '--verb=get', '--resource=pods'));
    const err = await refused(as(CAROL, 'create', 'role', 'pod-admin', '-n', 'team', '--verb=get,delete,patch', '--resource=pods,secrets'));
    expect(err).toContain(
      'roles.rbac.authorization.k8s.io "pod-admin" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "patch"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete" "patch"]}',
    );
    expect((await s.kubectl(['get', 'role', 'pod-admin', '-n', 'team'])).code).not.toBe(0);
    // Widening an existing Role by update is refused the same way.
    const widen = await refused(as(CAROL, 'patch', 'role', 'pod-viewer', '-n', 'team', '--type=json', '-p', '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]'));
    expect(widen).toContain('roles.rbac.authorization.k8s.io "pod-viewer" is forbidden: user "carol"');
  });

  it('refuses binding cluster-admin to oneself, and a binding to a Role that does not exist', async () => {
    const err = await refused(as(CAROL, 'create', 'rolebinding', 'carol-admin', '-n', 'team', '--clusterrole=cluster-admin', '--user=carol'));
    expect(err).toContain(
      'rolebindings.rbac.authorization.k8s.io "carol-admin" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    const missing = await refused(as(CAROL, 'create', 'rolebinding', 'carol-nope', '-n', 'team', '--role=nope', '--user=carol'));
    expect(missing).toContain('rolebindings.rbac.authorization.k8s.io "carol-nope" is forbidden: roles.rbac.authorization.k8s.io "nope" not found');
    // A Role whose rights she holds may be bound to anyone.
    await ok(as(CAROL, 'create', 'rolebinding', 'jane-pods', '-n', 'team', '--role=pod-reader', '--user=jane'));
  });

  it('allows binding a role one lacks with the bind verb on that role, and writing any Role with escalate', async () => {
    await ok(['create', 'clusterrole', 'secret-admin', '--verb=*', '--resource=secrets']);
    expect(await refused(as(CAROL, 'create', 'rolebinding', 'sec', '-n', 'team', '--clusterrole=secret-admin', '--user=erin'))).toContain('is attempting to grant RBAC permissions not currently held');
    await ok(['create', 'role', 'may-bind-secret-admin', '-n', 'team', '--verb=bind', '--resource=clusterroles.rbac.authorization.k8s.io', '--resource-name=secret-admin']);
    await ok(['create', 'rolebinding', 'carol-bind', '-n', 'team', '--role=may-bind-secret-admin', '--user=carol']);
    await waitFor('carol may bind secret-admin', async () => (await s.kubectl(as(CAROL, 'create', 'rolebinding', 'sec', '-n', 'team', '--clusterrole=secret-admin', '--user=erin'))).code === 0);
    // bind is per name: another role she lacks is still refused.
    expect(await refused(as(CAROL, 'create', 'rolebinding', 'admin2', '-n', 'team', '--clusterrole=cluster-admin', '--user=erin'))).toContain('not currently held');

    await ok(['create', 'role', 'may-escalate', '-n', 'team', '--verb=escalate', '--resource=roles.rbac.authorization.k8s.io']);
    await ok(['create', 'rolebinding', 'carol-escalate', '-n', 'team', '--role=may-escalate', '--user=carol']);
    await waitFor('carol may write a Role beyond her rights', async () => (await s.kubectl(as(CAROL, 'create', 'role', 'pod-admin', '-n', 'team', '--verb=delete', '--resource=pods'))).code === 0);
  });

  it('checks ClusterRoles against cluster-wide rights, and keeps aggregationRule to cluster admins', async () => {
    const err = await refused(as(DAVE, 'create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes'));
    expect(err).toContain('clusterroles.rbac.authorization.k8s.io "node-reader" is forbidden: user "dave" (groups=["ops" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}');
    await ok(as(DAVE, 'create', 'clusterrole', 'cr-creator', '--verb=create', '--resource=clusterroles.rbac.authorization.k8s.io'));
    const agg = await refused(as(DAVE, 'create', 'clusterrole', 'monitoring', '--aggregation-rule=example.io/aggregate-to-monitoring=true'));
    expect(agg).toContain('clusterroles.rbac.authorization.k8s.io "monitoring" is forbidden: must have cluster-admin privileges to write an aggregationRule');
    // The admin (system:masters) is never checked.
    await ok(['create', 'clusterrole', 'monitoring', '--aggregation-rule=example.io/aggregate-to-monitoring=true']);
  });
});
