import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeJwt, signJwt, verifyJwt } from './sa-jwt.ts';
import { loadOrCreateSigningKey } from './sa-key.ts';
import { DEFAULT_ISSUER, ServiceAccountTokens } from './sa-tokens.ts';

const key = loadOrCreateSigningKey(undefined);
const part = (t: string, i: number) => JSON.parse(Buffer.from(t.split('.')[i]!, 'base64url').toString());

describe('service-account JWT signing', () => {
  it('signs ES256 with the key id and reads its own claims back', () => {
    const t = signJwt(key, { sub: 'x', n: 1 });
    expect(looksLikeJwt(t)).toBe(true);
    expect(part(t, 0)).toEqual({ alg: 'ES256', kid: key.kid });
    expect(verifyJwt(key.publicKey, t)).toEqual({ sub: 'x', n: 1 });
  });

  it('refuses a changed payload, another key, alg none and what is no JWT', () => {
    const t = signJwt(key, { sub: 'x' });
    const [h, , s] = t.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${s}`;
    expect(verifyJwt(key.publicKey, forged)).toBeNull();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(verifyJwt(other, t)).toBeNull();
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${t.split('.')[1]}.x`;
    expect(verifyJwt(key.publicKey, none)).toBeNull();
    for (const junk of ['', 'abc', 'a.b', 'a.b.c', 'static-token-123']) expect(verifyJwt(key.publicKey, junk)).toBeNull();
  });

  it('keeps the key in its directory (0600), so a restarted server accepts tokens from before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtsim-sa-key-'));
    try {
      const a = loadOrCreateSigningKey(dir);
      expect(statSync(join(dir, 'sa.key')).mode & 0o777).toBe(0o600);
      const b = loadOrCreateSigningKey(dir);
      expect(b.kid).toBe(a.kid);
      expect(verifyJwt(b.publicKey, signJwt(a, { sub: 'x' }))).toEqual({ sub: 'x' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('service-account tokens', () => {
  const accounts = new Map([['ns/bot', 'uid-1']]);
  const tokens = new ServiceAccountTokens(key, (ns, name) => accounts.get(`${ns}/${name}`));
  const grant = { namespace: 'ns', name: 'bot', uid: 'uid-1', audiences: [DEFAULT_ISSUER], expirationSeconds: 3600 };

  it("carries kube-apiserver's claims", () => {
    const { token, exp } = tokens.issue({ ...grant, boundObjectRef: { kind: 'Pod', name: 'p', uid: 'pu' } }, 1_000_000_000);
    expect(exp).toBe(1_000_000 + 3600);
    expect(part(token, 1)).toEqual({
      aud: [DEFAULT_ISSUER], exp, iat: 1_000_000, nbf: 1_000_000, iss: DEFAULT_ISSUER, sub: 'system:serviceaccount:ns:bot',
      'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'bot', uid: 'uid-1' }, pod: { name: 'p', uid: 'pu' } },
    });
  });

  it('authenticates as the service account while unexpired, for an accepted audience, with its account there', () => {
    const { token } = tokens.issue(grant);
    expect(tokens.check(token)).toEqual({
      user: { username: 'system:serviceaccount:ns:bot', uid: 'uid-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] },
      audiences: [DEFAULT_ISSUER],
    });
    expect(tokens.check(token, [DEFAULT_ISSUER], Date.now() + 3601_000)).toEqual({ error: 'invalid bearer token, Token has expired.' });
    expect(tokens.check(token, ['vault'])).toHaveProperty('error');
    expect(tokens.check(tokens.issue({ ...grant, audiences: ['vault'] }).token)).toHaveProperty('error');
    expect(tokens.check(tokens.issue({ ...grant, uid: 'old-uid' }).token)).toEqual({ error: 'invalid bearer token, service account UID (uid-1) does not match claim (old-uid)' });
    accounts.delete('ns/bot');
    expect(tokens.check(token)).toEqual({ error: 'invalid bearer token, service account ns/bot has been deleted' });
  });
});
