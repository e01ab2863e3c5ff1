import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '@virtsim/telemetry';

export interface WebhookPki {
  /** PEM of the CA, the webhook configuration's caBundle. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A fresh CA and a serving certificate for `name.namespace.svc`, the name the API server verifies
 * when it calls a webhook through a Service, as virt-operator makes virt-api's (made with the
 * fleet's PKI helper in a scratch directory). Kept in memory only: each start registers its own
 * caBundle.
 */
export function createWebhookPki(service: string, namespace: string): WebhookPki {
  const work = mkdtempSync(join(tmpdir(), 'virtsim-virt-api-pki-'));
  try {
    const pki = createPki(join(work, 'pki'), 'virtsim-virt-api-ca');
    const leaf = pki.issue(`${service}.${namespace}.svc`, { hosts: [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, '127.0.0.1'], days: 3650 });
    return { caPem: readFileSync(pki.ca, 'utf8'), certPem: readFileSync(leaf.cert, 'utf8'), keyPem: readFileSync(leaf.key, 'utf8') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
