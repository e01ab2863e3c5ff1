/**
 * Compact JWS (JWT) signing and checking with ES256, the format of kube-apiserver's service-account
 * tokens. Only the signature and the header's algorithm are checked here; what the claims mean
 * (expiry, audience, the service account) is sa-tokens.ts's business.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './sa-key.ts';

export type Claims = Record<string, any>;

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Three base64url parts: the only strings worth a signature check. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

export function signJwt(key: SigningKey, claims: Claims): string {
  const input = `${b64({ alg: 'ES256', kid: key.kid })}.${b64(claims)}`;
  // JWS wants r||s (IEEE P1363), not node's default DER.
  const sig = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** The claims of a token signed by `publicKey` with ES256; null for anything else (never throws). */
export function verifyJwt(publicKey: KeyObject, token: string): Claims | null {
  if (!looksLikeJwt(token)) return null;
  const [h, p, s] = token.split('.') as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    // Pinning the algorithm shuts out "alg: none" and key-confusion tokens.
    if (header?.alg !== 'ES256') return null;
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    if (!ok) return null;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}
