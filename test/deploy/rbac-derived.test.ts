// Least privilege derived from a run, not from reading the code: the watcher and an agent run as
// the service accounts deploy/ gives them, under the RBAC deploy/ renders, on the embedded API
// server with every request audited (reads too). A VM and a VMI play their whole life through
// (start, live migration, deletion). Then: no request of theirs was refused, and every right
// their roles grant was used by some request, or is listed below with the reason it is kept.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '@virtsim/testkit/wait';
import { startCluster, type Cluster } from '../control-plane/cluster.ts';
import { REPO, render } from './render.ts';

const EXAMPLES = `${REPO}examples`;
const NAMESPACE = 'virtsim';
const WATCHER = `system:serviceaccount:${NAMESPACE}:virtsim-watcher`;
const AGENT = `system:serviceaccount:${NAMESPACE}:virtsim-node-agent`;

/**
 * Rights granted and not used by this run, each with why it stays. Anything else unused fails the
 * test: trim the role, or add the right here with its reason.
 */
const KEPT_UNUSED: Record<string, string> = {
  // stages/README.md, "Writing as kubevirt-handler instead of kubevirt-controller": a one-line switch
  // of the stage files, which then impersonate virt-handler with its node-name extra.
  [`${AGENT} impersonate core/serviceaccounts kubevirt-handler`]: 'the documented kubevirt-handler stage variant',
  [`${AGENT} impersonate authentication.k8s.io/userextras/authentication.kubernetes.io/node-name`]: 'the documented kubevirt-handler stage variant',
  // The watcher's informers list by watching (sendInitialEvents); against a kube-apiserver with its
  // WatchList gate off (every version before 1.27; alpha, off by default, from 1.27) they list in pages.
  ...Object.fromEntries(['core/nodes', 'core/pods', 'kubevirt.io/virtualmachineinstances', 'kubevirt.io/virtualmachineinstancemigrations'].map((r) => [`${WATCHER} list ${r}`, 'the paged LIST fallback for servers with the WatchList gate off'])),
};

/** Flags of the deployed containers that wire NATS, the coordinator and metrics: the test gives its own. */
const WIRING_FLAGS = new Set(['--nats', '--identity', '--metrics-host', '--metrics-port', '--nats-token-file', '--nats-tls-ca', '--coordinator', '--coordinator-tls-ca', '--coordinator-tls-cert', '--coordinator-tls-key', '--nodes']);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface AuditLine {
  user: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  impersonatedBy?: string;
  verb: string;
  apiGroup?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  code: number;
}

/** One right a request used: what an RBAC rule must match for it. */
interface Use {
  user: string;
  apiGroup: string;
  resource: string;
  verb: string;
  name?: string;
}

/** The rights an audit line shows its client used: the request's own, and each impersonation it asked for. */
function usesOf(a: AuditLine): Use[] {
  if (a.verb === 'impersonate' || !a.resource) return [];
  if (!a.impersonatedBy) return [{ user: a.user, apiGroup: a.apiGroup ?? '', resource: a.resource, verb: a.verb, name: a.name }];
  const uses: Use[] = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(a.user);
  uses.push(sa ? { user: a.impersonatedBy, apiGroup: '', resource: 'serviceaccounts', verb: 'impersonate', name: sa[2] } : { user: a.impersonatedBy, apiGroup: '', resource: 'users', verb: 'impersonate', name: a.user });
  // The groups a service account gets by itself are not asked for.
  const own = new Set(['system:authenticated', 'system:serviceaccounts', ...(sa ? [`system:serviceaccounts:${sa[1]}`] : [])]);
  for (const g of a.groups ?? []) if (!own.has(g)) uses.push({ user: a.impersonatedBy, apiGroup: '', resource: 'groups', verb: 'impersonate', name: g });
  for (const [k, vs] of Object.entries(a.extra ?? {})) for (const v of vs) uses.push({ user: a.impersonatedBy, apiGroup: 'authentication.k8s.io', resource: `userextras/${k}`, verb: 'impersonate', name: v });
  return uses;
}

/** Each right a rule grants, as one line per group/resource/verb (and resourceName). */
function grantsOf(subject: string, rules: Rule[]): string[] {
  return rules.flatMap((r) =>
    r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.flatMap((v) => (r.resourceNames?.length ? r.resourceNames : ['']).map((n) => grantKey(subject, g, res, v, n))))),
  );
}

const grantKey = (subject: string, group: string, resource: string, verb: string, name = '') => `${subject} ${verb} ${group || 'core'}/${resource}${name ? ` ${name}` : ''}`;

/** The grant a use falls under: the one naming the object when the role names it, else the resource's. */
function usedGrants(u: Use): string[] {
  return [grantKey(u.user, u.apiGroup, u.resource, u.verb), ...(u.name ? [grantKey(u.user, u.apiGroup, u.resource, u.verb, u.name)] : [])];
}

/** The container's args as deployed, less the wiring flags the test replaces; $(POD_NAMESPACE) resolved. */
function deployedFlags(docs: any[], deployment: string): string[] {
  const d = docs.find((x) => x.kind === 'Deployment' && x.metadata.name === deployment);
  if (!d) throw new Error(`deploy/base renders no Deployment ${deployment}`);
  const args: string[] = d.spec.template.spec.containers[0].args.slice(1);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (WIRING_FLAGS.has(args[i]!)) i++;
    else out.push(args[i]!.replace('$(POD_NAMESPACE)', NAMESPACE));
  }
  return out;
}

/** The rules bound to a service account, by ClusterRoleBindings and RoleBindings alike. */
function rulesOf(docs: any[], sa: string): Rule[] {
  const bound = docs.filter((d) => (d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding') && d.subjects?.some((s: any) => s.kind === 'ServiceAccount' && s.name === sa));
  return bound.flatMap((b) => docs.find((d) => d.kind === b.roleRef.kind && d.metadata.name === b.roleRef.name)?.rules ?? []);
}

describe('deploy/ RBAC: each service gets exactly the rights a run uses', () => {
  let c: Cluster;
  let docs: any[];
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= c?.stop());
  const work = mkdtempSync(join(tmpdir(), 'virtsim-rbac-'));
  const auditPath = join(work, 'audit.log');
  const tokens = { watcher: `watcher-${process.pid}-token`, agent: `agent-${process.pid}-token` };

  beforeAll(async () => {
    docs = await render('base');
    const rbac = docs.filter((d) => ['Namespace', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(d.kind));
    c = await startCluster({
      agents: 1,
      nodes: 4,
      watcherArgs: deployedFlags(docs, 'virtsim-watcher'),
      agentArgs: deployedFlags(docs, 'virtsim-node-agent'),
      prepare: async (api, dir) => {
        const applied = await api.kubectl(['apply', '-f', '-'], { input: rbac.map((d) => stringify(d)).join('---\n') });
        if (applied.code !== 0) throw new Error(`applying deploy/'s RBAC failed: ${applied.stderr}`);
        const kubeconfigAs = (token: string, name: string) => {
          const path = join(dir, `${name}.kubeconfig`);
          writeFileSync(path, readFileSync(api.kubeconfigPath, 'utf8').replace(/token: \S+/, `token: ${token}`));
          return path;
        };
        return { watcherKubeconfig: kubeconfigAs(tokens.watcher, 'watcher'), agentKubeconfig: kubeconfigAs(tokens.agent, 'agent') };
      },
      apiArgs: ['--audit-log-reads', '--audit-log-path', auditPath, '--token-file', writeTokens()],
    });

    function writeTokens(): string {
      const path = join(work, 'tokens.csv');
      const groups = `"system:serviceaccounts,system:serviceaccounts:${NAMESPACE}"`;
      writeFileSync(path, `${tokens.watcher},${WATCHER},watcher-uid,${groups}\n${tokens.agent},${AGENT},agent-uid,${groups}\n`, { mode: 0o600 });
      return path;
    }
  }, 180_000);
  afterAll(async () => {
    await stop();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('plays a VM and a VMI through start, live migration and deletion as the deployed service accounts', async () => {
    const vm = readFileSync(`${EXAMPLES}/vm-cirros.yaml`, 'utf8').replace('runStrategy: Halted', 'runStrategy: Always');
    await c.kubectl(['apply', '-f', '-'], vm);
    await c.kubectl(['apply', '-f', `${EXAMPLES}/vmi-fedora.yaml`]);
    for (const name of ['vm-cirros', 'vmi-fedora'])
      await waitFor(`VMI ${name} Running`, async () => (await c.kubectlJson(['get', 'vmi', name])).status?.phase === 'Running', { timeoutMs: 60_000 });
    await c.kubectl(['create', '-f', '-'], 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata:\n  name: migrate-fedora\nspec:\n  vmiName: vmi-fedora\n');
    await waitFor('migration Succeeded', async () => {
      const m = await c.kubectlJson(['get', 'vmim', 'migrate-fedora']);
      if (m.status?.phase === 'Failed') throw new Error(`migration failed: ${JSON.stringify(m.status)}`);
      return m.status?.phase === 'Succeeded';
    }, { timeoutMs: 60_000 });
    await c.kubectl(['delete', 'vm', 'vm-cirros', '--wait=false']);
    await c.kubectl(['delete', 'vmi', 'vmi-fedora', '--wait=false']);
    await waitFor('both VMIs and their launcher pods gone', async () => {
      const vmis = await c.kubectlJson(['get', 'vmi']);
      const pods = await c.kubectlJson(['get', 'pods', '-l', 'kubevirt.io=virt-launcher']);
      return vmis.items.length === 0 && pods.items.length === 0;
    }, { timeoutMs: 60_000 });
  }, 240_000);

  it('refused no request of the watcher or the agent, and every right their roles grant was used', async () => {
    // Stopping the services first, then reading: every request they made is on file.
    await stop();
    const lines: AuditLine[] = readFileSync(auditPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const ours = (a: AuditLine) => [WATCHER, AGENT].includes(a.impersonatedBy ?? a.user);
    const refused = lines.filter((a) => ours(a) && (a.code === 401 || a.code === 403)).map((a) => `${a.impersonatedBy ? `${a.impersonatedBy} as ` : ''}${a.user} ${a.verb} ${a.apiGroup || 'core'}/${a.resource} ${a.namespace ?? ''}/${a.name ?? ''}: ${a.code}`);
    expect(refused, 'requests refused to the deployed service accounts').toEqual([]);

    const used = new Set(lines.filter(ours).flatMap(usesOf).flatMap(usedGrants));
    expect([...used].filter((g) => g.startsWith(WATCHER)).length, 'the watcher made no request: the run proves nothing').toBeGreaterThan(0);
    expect([...used].filter((g) => g.startsWith(AGENT)).length, 'the agent made no request: the run proves nothing').toBeGreaterThan(0);
    const granted = [...grantsOf(WATCHER, rulesOf(docs, 'virtsim-watcher')), ...grantsOf(AGENT, rulesOf(docs, 'virtsim-node-agent'))];
    const unused = granted.filter((g) => !used.has(g) && !(g in KEPT_UNUSED));
    expect(unused, 'rights granted but never used (trim the role, or keep one in KEPT_UNUSED with its reason)').toEqual([]);
    const stale = Object.keys(KEPT_UNUSED).filter((g) => used.has(g) || !granted.includes(g));
    expect(stale, 'KEPT_UNUSED entries now used, or no longer granted').toEqual([]);
  }, 120_000);
});
