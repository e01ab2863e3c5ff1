import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WebhookPki {
  /** PEM of the CA, the webhook configuration's caBundle. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A fresh CA and a serving certificate for `name.namespace.svc`, the name the API server verifies
 * when it calls a webhook through a Service, as virt-operator makes virt-api's. Made with the
 * openssl CLI (node:crypto cannot sign certificates), EC P-256 keys: milliseconds. Kept in memory
 * only: each start registers its own caBundle.
 */
export function createWebhookPki(service: string, namespace: string): WebhookPki {
  const work = mkdtempSync(join(tmpdir(), 'virtsim-virt-api-pki-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    run('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', '/CN=virtsim-virt-api-ca', '-out', 'ca.crt');
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key.ec');
    run('pkcs8', '-topk8', '-nocrypt', '-in', 'tls.key.ec', '-out', 'tls.key');
    run('req', '-new', '-key', 'tls.key', '-subj', `/CN=${service}.${namespace}.svc`, '-out', 'tls.csr');
    const sans = [`DNS:${service}`, `DNS:${service}.${namespace}`, `DNS:${service}.${namespace}.svc`, 'IP:127.0.0.1'];
    writeFileSync(join(work, 'ext.cnf'), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`);
    run('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'ext.cnf', '-out', 'tls.crt');
    return { caPem: readFileSync(join(work, 'ca.crt'), 'utf8'), certPem: readFileSync(join(work, 'tls.crt'), 'utf8'), keyPem: readFileSync(join(work, 'tls.key'), 'utf8') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
