/**
 * The service-account token signing key (kube-apiserver's --service-account-signing-key-file):
 * an EC P-256 key made with node:crypto at first start and, with a directory, kept there as
 * sa.key, so tokens issued before a restart are still accepted after it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The JWS key id: base64url SHA-256 of the public key's DER, as kube-apiserver derives it. */
  kid: string;
}

export function loadOrCreateSigningKey(dir: string | undefined): SigningKey {
  const file = dir ? join(dir, 'sa.key') : undefined;
  let privateKey: KeyObject;
  if (file && existsSync(file)) privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  else {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    if (dir && file) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
  }
  const publicKey = createPublicKey(privateKey);
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  return { privateKey, publicKey, kid };
}
