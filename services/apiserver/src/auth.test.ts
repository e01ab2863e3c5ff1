import { describe, expect, it } from 'vitest';
import { Authenticator } from './auth.ts';
import { loadOrCreateSigningKey } from './sa-key.ts';
import { DEFAULT_ISSUER, ServiceAccountTokens } from './sa-tokens.ts';

const sa = new ServiceAccountTokens(loadOrCreateSigningKey(undefined), (ns, name) => (ns === 'ns' && name === 'bot' ? 'u1' : undefined));
const auth = new Authenticator({ adminToken: 'admin-0123456789', tokens: [{ token: 'jane-tok', user: { username: 'jane', uid: 'j1', groups: ['system:authenticated'] } }], serviceAccounts: sa });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('Authenticator with service-account tokens', () => {
  it('takes static tokens first and service-account JWTs after; anything else is 401', () => {
    expect(auth.tokenUser(bearer('jane-tok')).username).toBe('jane');
    const { token } = sa.issue({ namespace: 'ns', name: 'bot', uid: 'u1', audiences: [DEFAULT_ISSUER], expirationSeconds: 600 });
    expect(auth.tokenUser(bearer(token))).toMatchObject({ username: 'system:serviceaccount:ns:bot', uid: 'u1' });
    for (const bad of ['nope', `${token}x`, token.replace(/\.[^.]+$/, '.AAAA')]) expect(() => auth.tokenUser(bearer(bad))).toThrow('Unauthorized');
  });

  it('reviews a static token for the API audience only', () => {
    expect(auth.check('jane-tok')).toEqual({ user: expect.objectContaining({ username: 'jane', uid: 'j1' }), audiences: [DEFAULT_ISSUER] });
    expect(auth.check('jane-tok', ['vault'])).toHaveProperty('error');
    expect(auth.check('unknown')).toEqual({ error: 'invalid bearer token' });
  });
});
