/**
 * A CA and one certificate it signs, made with the openssl CLI (node:crypto cannot sign
 * certificates): EC P-256 keys (milliseconds to make), ten years, the key in PKCS#8 (the form
 * every TLS stack reads). With a directory, the three PEM files are kept there and reused, so a
 * restarted server keeps its CAs and what trusts them stays valid.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SignedCert {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface CertSpec {
  /** File names in `dir`: the CA certificate, the certificate, its key. */
  files: readonly [string, string, string];
  caCn: string;
  cn: string;
  /** What the certificate is good for: serving, or only client authentication (the front proxy). */
  usage: 'serverAuth' | 'clientAuth';
  /** subjectAltName entries (`IP:…`, `DNS:…`). */
  sans?: string[];
}

export function loadOrCreateSignedCert(dir: string | undefined, spec: CertSpec): SignedCert {
  const paths = dir ? spec.files.map((f) => join(dir, f)) : [];
  if (dir && paths.every((p) => existsSync(p))) {
    const [caPem, certPem, keyPem] = paths.map((p) => readFileSync(p, 'utf8')) as [string, string, string];
    return { caPem, certPem, keyPem };
  }
  const work = mkdtempSync(join(tmpdir(), 'virtsim-pki-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    run('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', `/CN=${spec.caCn}`, '-out', 'ca.crt');
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'cert.key.ec');
    run('pkcs8', '-topk8', '-nocrypt', '-in', 'cert.key.ec', '-out', 'cert.key');
    run('req', '-new', '-key', 'cert.key', '-subj', `/CN=${spec.cn}`, '-out', 'cert.csr');
    const sans = spec.sans?.length ? `subjectAltName=${spec.sans.join(',')}\n` : '';
    writeFileSync(join(work, 'ext.cnf'), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=${spec.usage}\n${sans}`);
    run('x509', '-req', '-in', 'cert.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'ext.cnf', '-out', 'cert.crt');
    const made = { caPem: readFileSync(join(work, 'ca.crt'), 'utf8'), certPem: readFileSync(join(work, 'cert.crt'), 'utf8'), keyPem: readFileSync(join(work, 'cert.key'), 'utf8') };
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(paths[0]!, made.caPem);
      writeFileSync(paths[1]!, made.certPem);
      writeFileSync(paths[2]!, made.keyPem, { mode: 0o600 });
    }
    return made;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
