/**
 * The front-proxy PKI (kube-apiserver's --requestheader-client-ca-file and
 * --proxy-client-cert-file/--proxy-client-key-file): a CA of its own, separate from the serving
 * CA, and a client certificate it signed with CN `front-proxy-client`. The server presents that
 * certificate to aggregated API backends, which trust the X-Remote-* headers of a connection only
 * when the certificate chains to this CA and names an allowed CN. Made with the openssl CLI as
 * tls.ts does; with a directory, kept there and reused across restarts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The CN of the proxy client certificate; published as requestheader-allowed-names. */
export const FRONT_PROXY_CLIENT_CN = 'front-proxy-client';

export interface FrontProxyPki {
  /** The requestheader client CA backends verify the proxy client certificate with. */
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

const FILES = ['front-proxy-ca.crt', 'front-proxy-client.crt', 'front-proxy-client.key'] as const;

export function loadOrCreateFrontProxyPki(dir: string | undefined): FrontProxyPki {
  if (dir) {
    const paths = FILES.map((f) => join(dir, f));
    if (paths.every((p) => existsSync(p))) {
      const [caPem, clientCertPem, clientKeyPem] = paths.map((p) => readFileSync(p, 'utf8'));
      return { caPem, clientCertPem, clientKeyPem };
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'virtsim-front-proxy-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    run('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', '/CN=front-proxy-ca', '-out', 'ca.crt');
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'client.key.ec');
    run('pkcs8', '-topk8', '-nocrypt', '-in', 'client.key.ec', '-out', 'client.key');
    run('req', '-new', '-key', 'client.key', '-subj', `/CN=${FRONT_PROXY_CLIENT_CN}`, '-out', 'client.csr');
    // clientAuth only: the certificate is good for nothing but proxying to backends.
    writeFileSync(join(work, 'ext.cnf'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'ext.cnf', '-out', 'client.crt');
    const pki = {
      caPem: readFileSync(join(work, 'ca.crt'), 'utf8'),
      clientCertPem: readFileSync(join(work, 'client.crt'), 'utf8'),
      clientKeyPem: readFileSync(join(work, 'client.key'), 'utf8'),
    };
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, FILES[0]), pki.caPem);
      writeFileSync(join(dir, FILES[1]), pki.clientCertPem);
      writeFileSync(join(dir, FILES[2]), pki.clientKeyPem, { mode: 0o600 });
    }
    return pki;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
