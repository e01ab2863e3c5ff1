import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { posix } from 'node:path';
import { createSecureContext } from 'node:tls';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO, render } from './render.ts';

const run = promisify(execFile);
const CLI = `${REPO}packages/cli/bin/virtsim.ts`;

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

/** Flags whose value is a secret or key material (or a file holding one); `-c` is nats-server's config. */
const SECRET_FLAG = /^(--[\w-]*(token|password|nkey|creds|secret|key|cert|ca)(-file)?|-c)$/;

/** Where a container's file comes from: the volume mounted above `path`, or undefined. */
function sourceOf(pod: any, container: any, path: string): any | undefined {
  const mount = (container.volumeMounts ?? [])
    .filter((m: any) => path === m.mountPath || path.startsWith(m.mountPath + '/'))
    .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
  return mount && (pod.volumes ?? []).find((v: any) => v.name === mount.name);
}

/** The flags of `args` as name -> value (flags taking a value only). */
function flagValues(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length - 1; i++) if (args[i]!.startsWith('-') && !args[i + 1]!.startsWith('-')) out.set(args[i]!, args[i + 1]!);
  return out;
}

/** `virtsim secrets`, run once: Secret name -> key -> decoded value. */
let secretsOutput: Promise<Map<string, Record<string, string>>> | undefined;
function generatedSecrets(): Promise<Map<string, Record<string, string>>> {
  secretsOutput ??= run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'secrets']).then(({ stdout }) => {
    const out = new Map<string, Record<string, string>>();
    for (const d of parseAllDocuments(stdout).map((x) => x.toJS())) {
      out.set(d.metadata.name, Object.fromEntries(Object.entries(d.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])));
    }
    return out;
  });
  return secretsOutput;
}

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

    it(`${overlay}: NATS credentials and TLS come from Secrets mounted as files, never from an argument or an env value`, async () => {
      const objs = await render(overlay);
      const problems: string[] = [];
      const secretFiles: Array<{ secret: string; key: string; who: string }> = [];
      for (const w of objs.filter((o) => o.spec?.template?.spec)) {
        const pod = w.spec.template.spec;
        for (const v of pod.volumes ?? []) {
          if (v.secret && (v.secret.defaultMode ?? 0o644) & 0o007) problems.push(`${w.metadata.name} volume ${v.name}: Secret files readable by others (defaultMode ${(v.secret.defaultMode ?? 0o644).toString(8)})`);
        }
        for (const c of pod.containers) {
          const where = `${w.metadata.name} container ${c.name}`;
          for (const e of c.env ?? []) {
            if (e.valueFrom?.secretKeyRef) problems.push(`${where}: env ${e.name} from a Secret (mount it as a file)`);
            if (e.value !== undefined && /token|passw|secret|nkey|creds|private/i.test(e.name) && !/_FILE$/.test(e.name)) problems.push(`${where}: env ${e.name} holds a credential`);
          }
          for (const f of c.envFrom ?? []) if (f.secretRef) problems.push(`${where}: envFrom a Secret (mount it as a file)`);
          const args: string[] = c.args ?? [];
          for (const a of args) if (/:\/\/[^/\s]*@/.test(a) || /^--[\w-]*(token|password)=?/.test(a) && !/-file$/.test(a)) problems.push(`${where}: credential on the command line: ${a}`);
          for (const [flag, value] of flagValues(args)) {
            if (!SECRET_FLAG.test(flag)) continue;
            const source = sourceOf(pod, c, value);
            if (!source?.secret && !(flag === '-c' && source?.configMap)) problems.push(`${where}: ${flag} ${value} is not a file from a mounted Secret`);
            if (source?.secret) secretFiles.push({ secret: source.secret.secretName, key: posix.basename(value), who: where });
          }
        }
      }
      expect(problems).toEqual([]);

      // The fleet is actually configured for it: every NATS client has a credential and TLS, mTLS to the coordinator.
      const argsOf = (name: string) => flagValues(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec.containers[0].args);
      for (const name of ['virtsim-watcher', 'virtsim-node-agent']) {
        const f = argsOf(name);
        expect(['--nats-token-file', '--nats-password-file', '--nats-nkey-file'].some((k) => f.has(k)), `${name} has a NATS credential`).toBe(true);
        expect(f.has('--nats-tls-ca'), `${name} checks the NATS server's certificate`).toBe(true);
      }
      expect(['--coordinator-tls-ca', '--coordinator-tls-cert', '--coordinator-tls-key'].filter((k) => !argsOf('virtsim-node-agent').has(k))).toEqual([]);
      expect(['--tls-cert', '--tls-key', '--tls-ca'].filter((k) => !argsOf('virtsim-coordinator').has(k))).toEqual([]);

      // nats-server: its config (a ConfigMap) requires TLS and includes the token from a Secret file.
      const natsPod = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'nats').spec.template.spec;
      const natsContainer = natsPod.containers[0];
      const configPath = flagValues(natsContainer.args).get('-c')!;
      const config: string = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === sourceOf(natsPod, natsContainer, configPath).configMap.name).data[posix.basename(configPath)];
      const include = posix.resolve(posix.dirname(configPath), /^include\s+(\S+)/m.exec(config)![1]!);
      expect(sourceOf(natsPod, natsContainer, include)?.secret, 'the included authorization file is a Secret').toBeTruthy();
      expect(config.replace(/#.*$/gm, ''), 'no credential in the ConfigMap itself').not.toMatch(/token|password|nkey/i);
      for (const file of [/cert_file:\s*(\S+)/, /key_file:\s*(\S+)/].map((re) => re.exec(config)?.[1])) {
        expect(file && sourceOf(natsPod, natsContainer, file)?.secret, `nats TLS file ${file} from a Secret`).toBeTruthy();
        secretFiles.push({ secret: sourceOf(natsPod, natsContainer, file!).secret.secretName, key: posix.basename(file!), who: 'nats tls' });
      }
      secretFiles.push({ secret: sourceOf(natsPod, natsContainer, include).secret.secretName, key: posix.basename(include), who: 'nats include' });

      // `virtsim secrets` makes exactly the Secrets and keys mounted.
      const made = await generatedSecrets();
      const missing = secretFiles.filter((f) => made.get(f.secret)?.[f.key] === undefined).map((f) => `${f.who}: ${f.secret}/${f.key}`);
      expect(missing).toEqual([]);
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

  for (const overlay of OVERLAYS) {
    it(`${overlay}: each service runs as its own service account, bound to its own rights, the coordinator to none`, async () => {
      const objs = await render(overlay);
      const deployment = (name: string) => objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec;
      /** The rules bound to service account `sa` in `ns`, by ClusterRoleBindings and RoleBindings. */
      const rulesOf = (sa: string, ns: string) =>
        objs
          .filter((b) => (b.kind === 'ClusterRoleBinding' || b.kind === 'RoleBinding') && b.subjects.some((s: any) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === ns))
          .flatMap((b) => objs.find((r) => r.kind === b.roleRef.kind && r.metadata.name === b.roleRef.name).rules as Array<{ verbs: string[]; resources: string[]; apiGroups: string[]; resourceNames?: string[] }>);
      const accounts = new Set<string>();
      for (const name of ['virtsim-watcher', 'virtsim-node-agent', 'virtsim-coordinator']) {
        const pod = deployment(name);
        expect(pod.serviceAccountName, `${name} has a service account of its own`).toBe(name);
        expect(objs.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === name), `ServiceAccount ${name} exists`).toBe(true);
        accounts.add(pod.serviceAccountName);
      }
      expect(accounts.size).toBe(3);
      const ns = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'virtsim-watcher').metadata.namespace;

      // The coordinator never calls the API: no rights, no token in the pod.
      expect(rulesOf('virtsim-coordinator', ns)).toEqual([]);
      expect(deployment('virtsim-coordinator').automountServiceAccountToken).toBe(false);

      // The watcher only reads (list+watch), and writes nothing but its Lease, through a Role in its namespace.
      const watcher = rulesOf('virtsim-watcher', ns);
      expect(watcher.filter((r) => r.verbs.some((v) => !['list', 'watch'].includes(v))).flatMap((r) => r.resources)).toEqual(['leases']);
      const leaseRole = objs.find((o) => o.kind === 'RoleBinding' && o.subjects.some((s: any) => s.name === 'virtsim-watcher'));
      expect(leaseRole?.roleRef.kind).toBe('Role');
      expect(watcher.some((r) => r.verbs.includes('impersonate') || r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);

      // The agents impersonate only KubeVirt's two service accounts, by name.
      const agent = rulesOf('virtsim-node-agent', ns);
      expect(agent.some((r) => r.verbs.includes('*') || r.resources.includes('*') || r.apiGroups.includes('*'))).toBe(false);
      for (const r of agent.filter((x) => x.verbs.includes('impersonate') && (x.resources.includes('serviceaccounts') || x.resources.includes('users')))) {
        expect(r.resourceNames?.length, 'impersonation restricted by resourceNames').toBeGreaterThan(0);
        for (const n of r.resourceNames!) expect(n).toMatch(/^(system:serviceaccount:kubevirt:)?kubevirt-(controller|handler)$/);
      }
      expect(agent.some((r) => r.verbs.includes('impersonate') && r.resources.includes('groups')), 'no group impersonation').toBe(false);
    });
  }

  it('`virtsim secrets` makes a token the server and clients share and certificates for the names the fleet dials', async () => {
    const s = await generatedSecrets();
    const token = s.get('virtsim-nats-token')!.token!.trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(s.get('virtsim-nats-auth')!['auth.conf']).toContain(JSON.stringify(token));
    const ca = new X509Certificate(s.get('virtsim-ca')!['ca.crt']!);
    const objs = await render('base');
    const args = (name: string) => flagValues(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec.containers[0].args);
    // The host each client dials must be in the server's certificate.
    const natsHost = new URL(args('virtsim-node-agent').get('--nats')!).hostname;
    const coordinatorHost = args('virtsim-node-agent').get('--coordinator')!.split(':')[0]!;
    for (const [secret, host] of [['virtsim-nats-tls', natsHost], ['virtsim-coordinator-tls', coordinatorHost], ['virtsim-agent-tls', undefined]] as const) {
      const data = s.get(secret)!;
      const cert = new X509Certificate(data['tls.crt']!);
      expect(cert.verify(ca.publicKey), `${secret} is signed by the CA`).toBe(true);
      expect(() => createSecureContext({ cert: data['tls.crt'], key: data['tls.key'] }), `${secret} key matches`).not.toThrow();
      if (host) expect(cert.checkHost(host), `${secret} is valid for ${host}`).toBe(host);
    }
  });
});
