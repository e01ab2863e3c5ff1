/**
 * A CA and one certificate it signs (the fleet's PKI helper, @virtsim/telemetry's createPki, in a
 * scratch directory), kept as three PEM files under the server's own names. With a directory the
 * files are reused, so a restarted server keeps its CAs and what trusts them stays valid.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '@virtsim/telemetry';

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
  /** DNS names and IPs for a serving certificate; none makes a client-only one (the front proxy's). */
  hosts?: string[];
}

export function loadOrCreateSignedCert(dir: string | undefined, spec: CertSpec): SignedCert {
  const paths = dir ? spec.files.map((f) => join(dir, f)) : [];
  if (dir && paths.every((p) => existsSync(p))) {
    const [caPem, certPem, keyPem] = paths.map((p) => readFileSync(p, 'utf8')) as [string, string, string];
    return { caPem, certPem, keyPem };
  }
  const work = mkdtempSync(join(tmpdir(), 'virtsim-pki-'));
  try {
    const pki = createPki(join(work, 'pki'), spec.caCn);
    const leaf = pki.issue(spec.cn, { hosts: spec.hosts, days: 3650 });
    const made = { caPem: readFileSync(pki.ca, 'utf8'), certPem: readFileSync(leaf.cert, 'utf8'), keyPem: readFileSync(leaf.key, 'utf8') };
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
