import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/**
 * A small private PKI made with openssl (installed by `npm run setup`; Node cannot sign
 * certificates): one CA and leaf certificates signed by it, for TLS between the fleet's processes
 * on one machine (`virtsim up`) and in tests. Keys are EC P-256 and written 0600.
 */

export interface LeafFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  /** The CA certificate both sides trust. */
  ca: string;
  /** Its key: only needed to sign more leaves. */
  caKey: string;
  /** Issues a leaf `name`.crt/.key: `hosts` (DNS names or IPs) make it a server certificate too. */
  issue(name: string, opts?: { hosts?: string[]; days?: number }): LeafFiles;
}

export class PkiError extends Error {
  override readonly name = 'PkiError';
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new PkiError('openssl is not installed: run `npm run setup` (it installs it), or put openssl on PATH');
    throw new PkiError(`openssl ${args[0]} failed: ${(e.stderr?.toString() ?? e.message).trim().split('\n')[0]}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Creates a CA in `dir` (created 0700) named `commonName`. */
export function createPki(dir: string, commonName = 'virtsim-ca'): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  openssl(['req', '-x509', ...EC, '-keyout', caKey, '-out', ca, '-days', '3650', '-subj', `/CN=${commonName}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  chmodSync(caKey, 0o600);
  return {
    dir,
    ca,
    caKey,
    issue(name, opts = {}) {
      const cert = join(dir, `${name}.crt`);
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      const hosts = opts.hosts ?? [];
      const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${hosts.length ? 'serverAuth,clientAuth' : 'clientAuth'}`];
      if (hosts.length) lines.push(`subjectAltName=${hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`);
      writeFileSync(ext, lines.join('\n') + '\n');
      try {
        openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
        chmodSync(key, 0o600);
        const serial = '0x' + randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');
        openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-set_serial', serial, '-days', String(opts.days ?? 825), '-extfile', ext, '-out', cert]);
      } finally {
        rmSync(csr, { force: true });
        rmSync(ext, { force: true });
      }
      return { cert, key };
    },
  };
}
