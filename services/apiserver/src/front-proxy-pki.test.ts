import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRONT_PROXY_CLIENT_CN, loadOrCreateFrontProxyPki } from './front-proxy-pki.ts';

describe('loadOrCreateFrontProxyPki', () => {
  it('makes a client certificate for front-proxy-client, signed by its own CA, kept and reused in the directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtsim-fp-test-'));
    try {
      const a = loadOrCreateFrontProxyPki(dir);
      const ca = new X509Certificate(a.caPem);
      const client = new X509Certificate(a.clientCertPem);
      expect(client.subject).toBe(`CN=${FRONT_PROXY_CLIENT_CN}`);
      expect(client.verify(ca.publicKey)).toBe(true);
      expect(client.checkIssued(ca)).toBe(true);
      expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
      expect(createPublicKey(createPrivateKey(a.clientKeyPem)).export({ type: 'spki', format: 'pem' })).toBe(client.publicKey.export({ type: 'spki', format: 'pem' }));
      expect(loadOrCreateFrontProxyPki(dir)).toEqual(a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
