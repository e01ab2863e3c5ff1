import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext as tlsContext } from 'node:tls';
import { FlagError } from './flags.ts';

/**
 * Certificates, keys and secrets come from files (Kubernetes Secrets mounted as files, or what
 * `virtsim up` generated), never from the command line. Every problem is a FlagError naming the
 * flag and the file, so a command prints one line and exits 2 before it starts anything.
 */

/** Reads a file a flag names; a missing or unreadable file is a FlagError. */
export function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new FlagError(`--${flag}: cannot read ${path}: ${why}`);
  }
}

/** A one-line secret (a token, a password): the file's text without its trailing newline. */
export function readSecretFile(flag: string, path: string): string {
  const text = readFlagFile(flag, path).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new FlagError(`--${flag}: ${path} is empty`);
  if (/[\r\n]/.test(text)) throw new FlagError(`--${flag}: ${path} must hold one line`);
  return text;
}

/** PEM material for one side of a TLS connection. */
export interface TlsFiles {
  /** Certificate chain (PEM): this side's identity. */
  cert?: Buffer;
  /** Private key of `cert` (PEM). */
  key?: Buffer;
  /** CA bundle (PEM) the peer's certificate must chain to. */
  ca?: Buffer;
}

/** Flag names of one TLS configuration, e.g. { cert: 'tls-cert', key: 'tls-key', ca: 'tls-ca' }. */
export interface TlsFlagNames {
  cert: string;
  key: string;
  ca: string;
}

/**
 * Reads and checks the files of one TLS configuration: each must parse, a certificate needs its
 * key (and the key must match it), and the CA must be a certificate. Undefined when no flag is set.
 */
export function loadTlsFiles(names: TlsFlagNames, paths: { cert?: string; key?: string; ca?: string }): TlsFiles | undefined {
  if (!paths.cert && !paths.key && !paths.ca) return undefined;
  if (!!paths.cert !== !!paths.key) {
    const [given, missing] = paths.cert ? [names.cert, names.key] : [names.key, names.cert];
    throw new FlagError(`--${given}: needs --${missing} too`);
  }
  const out: TlsFiles = {};
  if (paths.ca) {
    out.ca = readFlagFile(names.ca, paths.ca);
    checkCertificate(names.ca, paths.ca, out.ca);
  }
  if (paths.cert && paths.key) {
    out.cert = readFlagFile(names.cert, paths.cert);
    out.key = readFlagFile(names.key, paths.key);
    checkCertificate(names.cert, paths.cert, out.cert);
    try {
      createPrivateKey(out.key);
    } catch {
      throw new FlagError(`--${names.key}: ${paths.key} is not a PEM private key`);
    }
    try {
      tlsContext({ cert: out.cert, key: out.key });
    } catch (err) {
      throw new FlagError(`--${names.key}: ${paths.key} does not match the certificate in ${paths.cert} (${(err as Error).message.replace(/^.*:/, '')})`);
    }
  }
  return out;
}

function checkCertificate(flag: string, path: string, pem: Buffer): void {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new FlagError(`--${flag}: ${path} is not a PEM certificate`);
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new FlagError(`--${flag}: ${path} is not a valid certificate (${(err as Error).message})`);
  }
}
