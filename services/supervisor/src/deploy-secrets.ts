import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { natsServerConfig } from '@virtsim/bus';
import { createPki, PkiError, readFlags } from '@virtsim/telemetry';

const HELP = `usage: virtsim secrets [--namespace NS] [--cluster-domain DOMAIN] | kubectl apply -f -
Prints the Secrets deploy/ mounts as files, made afresh: a NATS token (and nats-server's
authorization block holding it), a CA, TLS certificates for nats-server and the coordinator
(named after their Services) and a client certificate for the agents (mTLS). Pipe it to kubectl:
the secrets never appear on a command line. Run it again and restart the pods to rotate them.
  --namespace NS          namespace of the Secrets and the Services (default virtsim)
  --cluster-domain D      the cluster's DNS domain (default cluster.local)`;

const FLAGS = {
  namespace: { type: 'string', default: 'virtsim' },
  'cluster-domain': { type: 'string', default: 'cluster.local' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The Secret names and keys deploy/base mounts (test/deploy checks both sides agree). */
export const DEPLOY_SECRETS = {
  ca: 'virtsim-ca',
  natsTls: 'virtsim-nats-tls',
  natsAuth: 'virtsim-nats-auth',
  natsToken: 'virtsim-nats-token',
  coordinatorTls: 'virtsim-coordinator-tls',
  agentTls: 'virtsim-agent-tls',
} as const;

/** The Secret objects, as data (base64) by key. */
export function deploySecrets(namespace: string, clusterDomain: string): object[] {
  const dir = mkdtempSync(join(tmpdir(), 'virtsim-secrets-'));
  try {
    const pki = createPki(join(dir, 'pki'), 'virtsim-ca');
    const names = (service: string) => [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
    const nats = pki.issue('nats', { hosts: names('nats') });
    const coordinator = pki.issue('coordinator', { hosts: names('virtsim-coordinator') });
    const agent = pki.issue('agent');
    const token = randomBytes(32).toString('base64url');
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    const file = (p: string) => b64(readFileSync(p));
    const secret = (name: string, data: Record<string, string>, type = 'Opaque') => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'virtsim' } },
      type,
      data,
    });
    const tls = (leaf: { cert: string; key: string }) => ({ 'tls.crt': file(leaf.cert), 'tls.key': file(leaf.key) });
    return [
      secret(DEPLOY_SECRETS.ca, { 'ca.crt': file(pki.ca) }),
      secret(DEPLOY_SECRETS.natsTls, tls(nats), 'kubernetes.io/tls'),
      // nats-server includes this block from its ConfigMap'd configuration.
      secret(DEPLOY_SECRETS.natsAuth, { 'auth.conf': b64(natsServerConfig({ token })) }),
      secret(DEPLOY_SECRETS.natsToken, { token: b64(token + '\n') }),
      secret(DEPLOY_SECRETS.coordinatorTls, tls(coordinator), 'kubernetes.io/tls'),
      secret(DEPLOY_SECRETS.agentTls, tls(agent), 'kubernetes.io/tls'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `virtsim secrets`: the Secrets as a YAML stream on stdout. */
export async function runDeploySecretsCli(argv: string[]): Promise<number> {
  const flags = readFlags('virtsim secrets', argv, FLAGS);
  if (!flags) return 2;
  if (flags.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  try {
    const docs = deploySecrets(flags.values.namespace, flags.values['cluster-domain']);
    process.stdout.write(docs.map((d) => stringify(d)).join('---\n'));
    return 0;
  } catch (err) {
    if (!(err instanceof PkiError)) throw err;
    process.stderr.write(`virtsim secrets: ${err.message}\n`);
    return 1;
  }
}
