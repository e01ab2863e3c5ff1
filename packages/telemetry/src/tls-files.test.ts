import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPki } from './pki.ts';
import { loadTlsFiles, readSecretFile } from './tls-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'virtsim-tls-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NAMES = { cert: 'tls-cert', key: 'tls-key', ca: 'tls-ca' };

describe('TLS and secret files', () => {
  const pki = createPki(join(dir, 'pki'));
  const leaf = pki.issue('server', { hosts: ['127.0.0.1', 'localhost'] });
  const other = pki.issue('other');

  it('writes keys 0600 in a 0700 folder', () => {
    expect(statSync(pki.dir).mode & 0o777).toBe(0o700);
    for (const k of [pki.caKey, leaf.key, other.key]) expect(statSync(k).mode & 0o777).toBe(0o600);
  });

  it('loads a matching pair and its CA; nothing when no flag is set', () => {
    const files = loadTlsFiles(NAMES, { cert: leaf.cert, key: leaf.key, ca: pki.ca })!;
    expect(files.cert!.toString()).toContain('BEGIN CERTIFICATE');
    expect(files.ca!.toString()).toContain('BEGIN CERTIFICATE');
    expect(loadTlsFiles(NAMES, {})).toBeUndefined();
  });

  it('names the flag and the file of every problem', () => {
    expect(() => loadTlsFiles(NAMES, { cert: leaf.cert, key: other.key })).toThrow(`--tls-key: ${other.key} does not match the certificate in ${leaf.cert}`);
    expect(() => loadTlsFiles(NAMES, { key: leaf.key })).toThrow('--tls-key: needs --tls-cert too');
    expect(() => loadTlsFiles(NAMES, { ca: leaf.key })).toThrow(`--tls-ca: ${leaf.key} is not a PEM certificate`);
    expect(() => loadTlsFiles(NAMES, { cert: leaf.cert, key: leaf.cert })).toThrow(`--tls-key: ${leaf.cert} is not a PEM private key`);
    expect(() => loadTlsFiles(NAMES, { ca: join(dir, 'nope') })).toThrow(`--tls-ca: cannot read ${join(dir, 'nope')}: no such file`);
  });

  it('reads a one-line secret without its newline, and refuses empty or multi-line files', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 's3cret\n');
    expect(readSecretFile('nats-token-file', f)).toBe('s3cret');
    writeFileSync(f, '');
    expect(() => readSecretFile('nats-token-file', f)).toThrow(`--nats-token-file: ${f} is empty`);
    writeFileSync(f, 'a\nb\n');
    expect(() => readSecretFile('nats-token-file', f)).toThrow(`--nats-token-file: ${f} must hold one line`);
    if (process.getuid?.() !== 0) {
      chmodSync(f, 0o000);
      expect(() => readSecretFile('nats-token-file', f)).toThrow('permission denied');
    }
  });
});
