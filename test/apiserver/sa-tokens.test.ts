// Service-account tokens as a user meets them: `kubectl create token`, that token in a kubeconfig
// under RBAC, TokenReview of it (and of a tampered one), and revocation by deleting the account,
// against `virtsim apiserver` started as a child process.
import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness, type KubectlResult } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;
let token: string;
let botKubeconfig: string;
const SA_USER = 'system:serviceaccount:robots:bot';

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** kubectl with the service account's kubeconfig only (no admin token anywhere). */
function asBot(args: string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(process.env.KUBECTL ?? 'kubectl', ['--kubeconfig', botKubeconfig, '--cache-dir', join(s.dir, 'bot-cache'), ...args], { env: { ...process.env, HOME: s.dir } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A TokenReview posted with kubectl as the admin: its status. */
async function review(t: string): Promise<Record<string, any>> {
  const out = await ok(['create', '-f', '-', '-o', 'json'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: t } }));
  return JSON.parse(out).status;
}

beforeAll(async () => {
  s = await startApiServerForTest();
  await ok(['create', 'namespace', 'robots']);
  await ok(['create', 'serviceaccount', 'bot', '-n', 'robots']);
  token = (await ok(['create', 'token', 'bot', '-n', 'robots'])).trim();
  botKubeconfig = join(s.dir, 'bot.kubeconfig');
  writeFileSync(botKubeconfig, readFileSync(s.kubeconfigPath, 'utf8').replace(/token: \S+/, `token: ${token}`), { mode: 0o600 });
});

afterAll(async () => {
  await s?.stop();
});

describe('service-account tokens', () => {
  it('issues a JWT with kube claims for an hour, and 404s for an account that does not exist', async () => {
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: 'https://kubernetes.default.svc.cluster.local', sub: SA_USER, aud: ['https://kubernetes.default.svc.cluster.local'] });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims['kubernetes.io']).toMatchObject({ namespace: 'robots', serviceaccount: { name: 'bot' } });
    const missing = await s.kubectl(['create', 'token', 'ghost', '-n', 'robots']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('serviceaccounts "ghost" not found');
  });

  it('serves the token subresource and TokenReview for POST only, and refuses a token meant for another audience', async () => {
    const raw = rawClient(s.url, s.caPem, s.token);
    expect((await raw('GET', '/api/v1/namespaces/robots/serviceaccounts/bot/token')).status).toBe(405);
    expect((await raw('GET', '/apis/authentication.k8s.io/v1/tokenreviews')).status).toBe(405);
    const vault = (await ok(['create', 'token', 'bot', '-n', 'robots', '--audience', 'vault'])).trim();
    expect((await rawClient(s.url, s.caPem, vault)('GET', '/api/v1/namespaces/robots/configmaps')).status).toBe(401);
    const r = await raw('POST', '/apis/authentication.k8s.io/v1/tokenreviews', JSON.stringify({ spec: { token: vault, audiences: ['vault'] } }), { 'content-type': 'application/json' });
    expect(r.status).toBe(201);
    expect(r.json().status).toMatchObject({ authenticated: true, audiences: ['vault'], user: { username: SA_USER } });
  });

  it('refuses expirationSeconds 300 with 422 Invalid, worded as kube-apiserver', async () => {
    const r = await s.kubectl(['create', 'token', 'bot', '-n', 'robots', '--duration=5m']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes');
    const raw = rawClient(s.url, s.caPem, s.token);
    const res = await raw('POST', '/api/v1/namespaces/robots/serviceaccounts/bot/token', JSON.stringify({ spec: { expirationSeconds: 300 } }), { 'content-type': 'application/json' });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
  });

  it('acts as the service account: denied (403 naming it) until a RoleBinding grants it', async () => {
    const denied = await asBot(['get', 'configmaps', '-n', 'robots']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`configmaps is forbidden: User "${SA_USER}" cannot list resource "configmaps" in API group "" in the namespace "robots"`);
    await ok(['create', 'role', 'cm-reader', '-n', 'robots', '--verb=get,list', '--resource=configmaps']);
    await ok(['create', 'rolebinding', 'bot-reads', '-n', 'robots', '--role=cm-reader', '--serviceaccount=robots:bot']);
    await waitFor('bot may list configmaps', async () => (await asBot(['get', 'configmaps', '-n', 'robots'])).code === 0);
    const still = await asBot(['delete', 'configmap', 'x', '-n', 'robots']);
    expect(still.stderr).toContain(`configmaps "x" is forbidden: User "${SA_USER}" cannot delete resource "configmaps"`);
  });

  it('answers TokenReview: authenticated as the account, and a tampered token not, without an HTTP error', async () => {
    const uid = JSON.parse(await ok(['get', 'sa', 'bot', '-n', 'robots', '-o', 'json'])).metadata.uid;
    expect(await review(token)).toEqual({
      authenticated: true,
      user: { username: SA_USER, uid, groups: ['system:serviceaccounts', 'system:serviceaccounts:robots', 'system:authenticated'] },
      audiences: ['https://kubernetes.default.svc.cluster.local'],
    });
    const [h, p, sig] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${sig}`;
    const bad = await review(tampered);
    expect(bad.authenticated).toBeUndefined();
    expect(bad.error).toContain('invalid bearer token');
    expect((await asBot(['--token', tampered, 'get', 'configmaps', '-n', 'robots'])).stderr).toContain('Unauthorized');
  });

  it('stops accepting the token once its ServiceAccount is deleted (401)', async () => {
    await ok(['delete', 'serviceaccount', 'bot', '-n', 'robots']);
    const r = await asBot(['get', 'configmaps', '-n', 'robots']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Unauthorized');
    expect((await review(token)).error).toBe('invalid bearer token, service account robots/bot has been deleted');
    // A new account of the same name has another uid: the old token stays dead.
    await ok(['create', 'serviceaccount', 'bot', '-n', 'robots']);
    expect((await asBot(['get', 'configmaps', '-n', 'robots'])).stderr).toContain('Unauthorized');
  });
});

describe('service-account tokens across a restart', () => {
  it('accepts a token issued before the restart: the signing key is kept in the data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-sa-restart-'));
    let a: ApiServerHarness | undefined;
    try {
      a = await startApiServerForTest({ dataDir });
      const create = async (args: string[]) => expect((await a!.kubectl(args)).code).toBe(0);
      await create(['create', 'serviceaccount', 'keeper', '-n', 'default']);
      const t = (await a.kubectl(['create', 'token', 'keeper', '-n', 'default'])).stdout.trim();
      await a.stop();
      a = await startApiServerForTest({ dataDir });
      const r = await rawClient(a.url, a.caPem, t)('GET', '/api/v1/namespaces/default/configmaps');
      // Authenticated (403: the account has no rights), not 401.
      expect(r.status, r.text).toBe(403);
      expect(r.json().message).toContain('User "system:serviceaccount:default:keeper" cannot list');
    } finally {
      await a?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('service-account issuer, audiences and maximum expiration', () => {
  it('issues as the first --service-account-issuer, serves its discovery and JWKS (which verify the token), and caps a long TokenRequest with a warning', async () => {
    const a = await startApiServerForTest({
      args: ['--service-account-issuer', 'https://issuer.example', '--api-audiences', 'virtsim-api,https://issuer.example', '--service-account-max-token-expiration', '2h'],
    });
    try {
      expect((await a.kubectl(['create', 'serviceaccount', 'bot', '-n', 'default'])).code).toBe(0);
      const long = await a.kubectl(['create', 'token', 'bot', '-n', 'default', '--duration', '5h']);
      expect(long.code, long.stderr).toBe(0);
      expect(long.stderr).toContain('requested expiration of 18000 seconds shortened to 7200 seconds');
      const t = long.stdout.trim();
      const claims = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString());
      expect(claims.iss).toBe('https://issuer.example');
      expect(claims.aud).toEqual(['virtsim-api', 'https://issuer.example']);
      expect(claims.exp - claims.iat).toBe(7200);

      const raw = rawClient(a.url, a.caPem, t);
      const config = (await raw('GET', '/.well-known/openid-configuration')).json();
      expect(config).toMatchObject({ issuer: 'https://issuer.example', id_token_signing_alg_values_supported: ['ES256'] });
      expect(config.jwks_uri).toBe(`${a.url}/openid/v1/jwks`);
      const { keys } = (await raw('GET', '/openid/v1/jwks')).json();
      const [h, p, sig] = t.split('.') as [string, string, string];
      const key = keys.find((k: Record<string, string>) => k.kid === JSON.parse(Buffer.from(h, 'base64url').toString()).kid);
      expect(key, 'the token header names a key in the JWKS').toBeDefined();
      const verified = verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
      expect(verified).toBe(true);

      // A token for an audience this server does not accept does not authenticate.
      const other = (await a.kubectl(['create', 'token', 'bot', '-n', 'default', '--audience', 'elsewhere'])).stdout.trim();
      expect((await rawClient(a.url, a.caPem, other)('GET', '/api/v1/namespaces')).status).toBe(401);
      expect((await raw('GET', '/api/v1/namespaces')).status).toBe(403);
    } finally {
      await a.stop();
    }
  });

  it('keeps accepting tokens of an older issuer listed after the new one (rotation), and refuses a cap under an hour', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-sa-issuer-'));
    let a: ApiServerHarness | undefined;
    try {
      a = await startApiServerForTest({ dataDir, args: ['--service-account-issuer', 'https://old.example'] });
      expect((await a.kubectl(['create', 'serviceaccount', 'keeper', '-n', 'default'])).code).toBe(0);
      const old = (await a.kubectl(['create', 'token', 'keeper', '-n', 'default'])).stdout.trim();
      await a.stop();
      a = await startApiServerForTest({ dataDir, args: ['--service-account-issuer', 'https://new.example', '--service-account-issuer', 'https://old.example', '--api-audiences', 'https://old.example'] });
      expect((await rawClient(a.url, a.caPem, old)('GET', '/api/v1/namespaces')).status).toBe(403);
      await a.stop();
      a = await startApiServerForTest({ dataDir, args: ['--service-account-issuer', 'https://new.example', '--api-audiences', 'https://old.example'] });
      expect((await rawClient(a.url, a.caPem, old)('GET', '/api/v1/namespaces')).status, 'an issuer no longer listed is not trusted').toBe(401);
    } finally {
      await a?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(startApiServerForTest({ args: ['--service-account-max-token-expiration', '30m'] })).rejects.toThrow(/must be between 1 hour and 2\^32 seconds/);
  });
});
