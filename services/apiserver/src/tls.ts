import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServingPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A self-signed CA and a serving certificate for 127.0.0.1/localhost (and any extra host), as
 * kube-apiserver generates when given none. Made with the openssl CLI (node:crypto cannot sign
 * certificates); EC P-256 keys, so it takes milliseconds. With a directory, the files are kept
 * there and reused, so a restarted server keeps its CA and old kubeconfigs stay valid.
 */
export function loadOrCreatePki(dir: string | undefined, extraHosts: string[] = []): ServingPki {
  if (dir) {
    const files = ['ca.crt', 'apiserver.crt', 'apiserver.key'].map((f) => join(dir, f));
    if (files.every((f) => existsSync(f))) {
      const [caPem, certPem, keyPem] = files.map((f) => readFileSync(f, 'utf8'));
      return { caPem, certPem, keyPem };
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'virtsim-pki-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    run('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', '/CN=virtsim-ca', '-out', 'ca.crt');
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'apiserver.key.ec');
    // PKCS#8, the form every TLS stack reads.
    run('pkcs8', '-topk8', '-nocrypt', '-in', 'apiserver.key.ec', '-out', 'apiserver.key');
    run('req', '-new', '-key', 'apiserver.key', '-subj', '/CN=kube-apiserver', '-out', 'apiserver.csr');
    const sans = ['IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc'];
    for (const h of extraHosts) sans.push(/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`);
    writeFileSync(
      join(work, 'ext.cnf'),
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`,
    );
    run('x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'ext.cnf', '-out', 'apiserver.crt');
    const pki = {
      caPem: readFileSync(join(work, 'ca.crt'), 'utf8'),
      certPem: readFileSync(join(work, 'apiserver.crt'), 'utf8'),
      keyPem: readFileSync(join(work, 'apiserver.key'), 'utf8'),
    };
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'ca.crt'), pki.caPem);
      writeFileSync(join(dir, 'apiserver.crt'), pki.certPem);
      writeFileSync(join(dir, 'apiserver.key'), pki.keyPem, { mode: 0o600 });
    }
    return pki;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
