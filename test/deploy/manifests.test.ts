import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${REPO}packages/cli/bin/virtsim.ts`;

async function render(dir: string): Promise<any[]> {
  const { stdout } = await run('kubectl', ['kustomize', `${REPO}deploy/${dir}`]);
  return parseAllDocuments(stdout).map((d) => d.toJS());
}

async function help(command: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, command, '--help']);
  return stdout;
}

/** The base and every overlay: a new overlay is checked without being listed here. */
const OVERLAYS = ['base', ...readdirSync(`${REPO}deploy/overlays`).map((o) => `overlays/${o}`)];

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Whether a label selector selects pods with `labels` (matchLabels and In/NotIn/Exists/DoesNotExist). */
function selects(sel: Selector | undefined, labels: Labels): boolean {
  if (!sel) return false;
  const byLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (sel.matchExpressions ?? []).every((e) => {
    if (e.operator === 'In') return e.values!.includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !e.values!.includes(labels[e.key]!);
    if (e.operator === 'Exists') return e.key in labels;
    return !(e.key in labels);
  });
  return byLabels && byExpressions;
}

const podLabels = (d: any): Labels => d.spec.template.metadata.labels;

describe('deploy manifests', () => {
  for (const overlay of OVERLAYS) {
    it(`${overlay}: every container is non-root, read-only, unprivileged, seccomp RuntimeDefault, with requests and limits`, async () => {
      const workloads = (await render(overlay)).filter((o) => o.spec?.template?.spec);
      expect(workloads.length).toBeGreaterThan(0);
      const problems: string[] = [];
      for (const w of workloads) {
        const pod = w.spec.template.spec;
        const name = `${w.kind} ${w.metadata.name}`;
        if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot is not true`);
        if (!(pod.securityContext?.runAsUser > 0)) problems.push(`${name}: runAsUser is not a non-root uid`);
        if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${name}: seccompProfile is not RuntimeDefault`);
        if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${name}: shares a host namespace`);
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          const where = `${name} container ${c.name}`;
          const sc = c.securityContext ?? {};
          if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
          if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
          if (sc.privileged) problems.push(`${where}: privileged`);
          if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
          if (sc.runAsUser === 0 || sc.runAsNonRoot === false) problems.push(`${where}: runs as root`);
          for (const kind of ['requests', 'limits'])
            for (const r of ['cpu', 'memory']) if (!c.resources?.[kind]?.[r]) problems.push(`${where}: no ${r} in resources.${kind}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it(`${overlay}: every Deployment has a PodDisruptionBudget, and only the fleet reaches NATS and the coordinator`, async () => {
      const objs = await render(overlay);
      const deployments = objs.filter((o) => o.kind === 'Deployment');
      const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
      for (const d of deployments) {
        const covering = pdbs.filter((p) => p.metadata.namespace === d.metadata.namespace && selects(p.spec.selector, podLabels(d)));
        expect(covering.length, `PodDisruptionBudgets of ${d.metadata.name}`).toBe(1);
      }
      const labelsOf = (name: string) => podLabels(deployments.find((d) => d.metadata.name === name));
      const fleet = ['virtsim-watcher', 'virtsim-node-agent'].map(labelsOf);
      const outsider: Labels = { 'app.kubernetes.io/name': 'something-else' };
      /** The pods admitted to `port` of the pods of deployment `target`, among `candidates`. */
      const admitted = (target: string, port: number, candidates: Labels[]) => {
        const policies = objs.filter((o) => o.kind === 'NetworkPolicy' && selects(o.spec.podSelector, labelsOf(target)));
        expect(policies.length, `NetworkPolicies selecting ${target}`).toBeGreaterThan(0);
        expect(policies.every((p) => p.spec.policyTypes.includes('Ingress'))).toBe(true);
        const rules = policies.flatMap((p) => p.spec.ingress ?? []).filter((r: any) => !r.ports || r.ports.some((p: any) => p.port === port));
        // A rule without `from`, or with a namespaceSelector/ipBlock, admits pods we cannot name here.
        if (rules.some((r: any) => !r.from || r.from.some((f: any) => f.namespaceSelector || f.ipBlock || !f.podSelector))) return 'anyone';
        return candidates.filter((l) => rules.some((r: any) => r.from.some((f: any) => selects(f.podSelector, l)))).map((l) => l['app.kubernetes.io/name']);
      };
      expect(admitted('nats', 4222, [...fleet, labelsOf('virtsim-coordinator'), outsider])).toEqual(['virtsim-watcher', 'virtsim-node-agent']);
      expect(admitted('virtsim-coordinator', 7400, [...fleet, labelsOf('nats'), outsider])).toEqual(['virtsim-node-agent']);
    });

    it(`${overlay}: every virtsim container runs a real subcommand with flags it knows`, async () => {
      const objs = await render(overlay);
      const containers = objs
        .filter((o) => o.kind === 'Deployment')
        .flatMap((d) => d.spec.template.spec.containers as Array<{ image: string; args: string[] }>)
        .filter((c) => c.image.startsWith('virtsim'));
      expect(containers.map((c) => c.args[0]).sort()).toEqual(['agent', 'coordinator', 'watcher']);
      for (const c of containers) {
        const text = await help(c.args[0]!);
        const unknown = c.args.filter((a) => a.startsWith('--') && !text.includes(`${a} `));
        expect(unknown, `${c.args[0]} flags missing from its --help`).toEqual([]);
      }
    });
  }

  it('binds the agents and the watcher to the service account that holds the rights', async () => {
    const objs = await render('base');
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding');
    const sa = binding.subjects[0];
    for (const d of objs.filter((o) => o.kind === 'Deployment' && /watcher|agent/.test(o.metadata.name))) {
      expect(d.spec.template.spec.serviceAccountName).toBe(sa.name);
      expect(d.metadata.namespace).toBe(sa.namespace);
    }
    const role = objs.find((o) => o.kind === 'ClusterRole');
    const impersonate = role.rules.find((r: { verbs: string[]; resources: string[] }) => r.verbs.includes('impersonate') && r.resources.includes('serviceaccounts'));
    expect(impersonate.resourceNames).toContain('kubevirt-controller');
  });
});
