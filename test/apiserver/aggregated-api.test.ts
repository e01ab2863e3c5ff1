// Aggregated APIs end to end: a real HTTPS backend in this process (serving certificate for its
// Service's DNS name, signed by a CA the APIService's caBundle names), a real embedded API server,
// and kubectl. The backend echoes what the aggregator sent it: the requestheader user, whether
// the caller's token leaked, and whether the client certificate chains to the front-proxy CA the
// server publishes in kube-system/extension-apiserver-authentication.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

const GROUP = 'subresources.example.io';
const GV = `/apis/${GROUP}/v1`;
const NS = 'agg-test';

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
let backend: Server;
let backendPort = 0;
let tlsDir = '';
let backendCaPem = '';
let releaseStream: () => void = () => {};
const backendSockets = new Set<Socket>();

/** A CA and a serving certificate for `backend.agg-test.svc`, made with openssl. */
function backendPki(dir: string): { ca: string; cert: string; key: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  run('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '1', '-subj', '/CN=backend-ca', '-out', 'ca.crt');
  run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key');
  run('req', '-new', '-key', 'tls.key', '-subj', `/CN=backend.${NS}.svc`, '-out', 'tls.csr');
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:backend.${NS}.svc\nextendedKeyUsage=serverAuth\n`);
  run('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-sha256', '-extfile', 'ext.cnf', '-out', 'tls.crt');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

const RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: `${GROUP}/v1`,
  resources: [
    { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get', 'list', 'create', 'update'] },
    { name: 'widgets/console', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get'] },
  ],
};

function serveBackend(req: IncomingMessage, res: ServerResponse): void {
  const sock = req.socket as import('node:tls').TLSSocket;
  const url = req.url ?? '';
  if (url === GV || url === `${GV}/`) {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(RESOURCES));
    return;
  }
  if (url.startsWith(`${GV}/stream`)) {
    // Chunked: the first line now, the second only when the test has seen the first.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"line":1}\n');
    releaseStream = () => res.end('{"line":2}\n');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const peer = sock.getPeerCertificate();
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        method: req.method,
        url,
        user: req.headers['x-remote-user'],
        groups: req.headersDistinct['x-remote-group'] ?? [],
        extra: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-remote-extra-'))),
        authorization: req.headers.authorization ?? null,
        impersonate: req.headers['impersonate-user'] ?? null,
        clientCn: peer?.subject?.CN ?? null,
        clientCertTrusted: sock.authorized,
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  });
}

async function startBackend(caForClients: string, port = 0): Promise<void> {
  const pki = backendPki(tlsDir);
  backendCaPem = pki.ca;
  // Client certificates are asked for, not required: the echo says whether one chained to the front-proxy CA.
  backend = createServer({ key: pki.key, cert: pki.cert, ca: caForClients, requestCert: true, rejectUnauthorized: false }, serveBackend);
  backend.on('connection', (c: Socket) => {
    backendSockets.add(c);
    c.on('close', () => backendSockets.delete(c));
  });
  backend.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Seen-User: ${String(req.headers['x-remote-user'])}\r\n\r\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => backend.listen(port, '127.0.0.1', () => resolve()));
  backendPort = (backend.address() as AddressInfo).port;
}

function stopBackend(): Promise<void> {
  return new Promise((resolve) => {
    backend.close(() => resolve());
    for (const c of backendSockets) c.destroy();
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function apiService(tls: Record<string, unknown> = { caBundle: Buffer.from(backendCaPem).toString('base64') }): string {
  return JSON.stringify({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `v1.${GROUP}` },
    spec: {
      group: GROUP,
      version: 'v1',
      groupPriorityMinimum: 1000,
      versionPriority: 15,
      service: { namespace: NS, name: 'backend', port: 443 },
      ...tls,
    },
  });
}

async function availability(): Promise<{ status: string; reason: string; message: string } | undefined> {
  const r = await raw('GET', `/apis/apiregistration.k8s.io/v1/apiservices/v1.${GROUP}`);
  if (r.status !== 200) return undefined;
  return r.json().status?.conditions?.find((c: any) => c.type === 'Available');
}

beforeAll(async () => {
  tlsDir = mkdtempSync(join(tmpdir(), 'virtsim-agg-backend-'));
  s = await startApiServerForTest({ inProcess: true, serverOptions: { apiServiceCheckIntervalMs: 200 } });
  raw = rawClient(s.url, s.caPem, s.token);
  const cm = (await raw('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication')).json();
  await startBackend(cm.data['requestheader-client-ca-file']);
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: NS }, spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } },
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'backend', namespace: NS }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: backendPort }] }] },
    // alice may get widgets in NS; bob may do nothing there.
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'widgets', namespace: NS }, rules: [{ apiGroups: [GROUP], resources: ['widgets', 'widgets/console'], verbs: ['get'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'alice-widgets', namespace: NS }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'widgets' }, subjects: [{ kind: 'User', name: 'alice' }] },
  ];
  await ok(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
  await ok(['apply', '-f', '-'], apiService());
  await waitFor('the APIService to be Available', async () => (await availability())?.status === 'True');
});

afterAll(async () => {
  await s?.stop();
  if (backend?.listening) await stopBackend();
  rmSync(tlsDir, { recursive: true, force: true });
});

describe('aggregated APIs (APIService with spec.service)', () => {
  it('publishes the requestheader settings in extension-apiserver-authentication', async () => {
    const cm = (await raw('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication')).json();
    expect(cm.data['requestheader-username-headers']).toBe('["X-Remote-User"]');
    expect(cm.data['requestheader-group-headers']).toBe('["X-Remote-Group"]');
    expect(cm.data['requestheader-extra-headers-prefix']).toBe('["X-Remote-Extra-"]');
    expect(cm.data['requestheader-allowed-names']).toBe('["front-proxy-client"]');
    expect(cm.data['requestheader-client-ca-file']).toContain('BEGIN CERTIFICATE');
    expect(cm.data['client-ca-file']).toBe(s.caPem);
    expect(cm.data['requestheader-client-ca-file']).not.toBe(s.caPem);
  });

  it('marks it Available with reason Passed, and kubectl get apiservice shows True', async () => {
    expect(await availability()).toMatchObject({ status: 'True', reason: 'Passed', message: 'all checks passed' });
    expect(await ok(['get', 'apiservice', `v1.${GROUP}`])).toMatch(new RegExp(`v1\\.${GROUP.replace(/\./g, '\\.')}\\s+${NS}/backend\\s+True`));
  });

  it('marks a local APIService (no spec.service) Available with reason Local and leaves its group alone', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.apps' }, spec: { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 } }));
    const cond = await waitFor('Local', async () => (await raw('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.apps')).json().status?.conditions?.[0]);
    expect(cond).toMatchObject({ type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' });
    expect(await ok(['get', 'apiservice', 'v1.apps'])).toMatch(/v1\.apps\s+Local\s+True/);
    expect((await raw('GET', '/apis/apps/v1')).json().groupVersion).toBe('apps/v1');
  });

  it('proxies kubectl get --raw to the backend as the front proxy, with the caller as X-Remote-User and no bearer token', async () => {
    const echo = JSON.parse(await ok(['get', '--raw', `${GV}/namespaces/${NS}/widgets/w1?x=1`]));
    expect(echo).toMatchObject({ method: 'GET', url: `${GV}/namespaces/${NS}/widgets/w1?x=1`, user: 'kubernetes-admin', authorization: null });
    expect(echo.groups).toEqual(['system:masters', 'system:authenticated']);
    expect(echo.clientCn).toBe('front-proxy-client');
    expect(echo.clientCertTrusted).toBe(true);
  });

  it('sends an impersonated user (--as, --as-group) and drops the Impersonate headers and forged X-Remote ones', async () => {
    const echo = JSON.parse(await ok(['get', '--raw', `${GV}/namespaces/${NS}/widgets/w1`, '--as', 'alice', '--as-group', 'devs']));
    expect(echo.user).toBe('alice');
    expect(echo.groups).toEqual(['devs', 'system:authenticated']);
    expect(echo.impersonate).toBeNull();
    const forged = (await raw('GET', `${GV}/namespaces/${NS}/widgets/w1`, undefined, { 'x-remote-user': 'mallory', 'x-remote-extra-scopes': 'all' })).json();
    expect(forged.user).toBe('kubernetes-admin');
    expect(forged.extra).toEqual({});
  });

  it('authorizes in front of the proxy as kube-apiserver does: bob is refused with the usual 403', async () => {
    const r = await s.kubectl(['get', '--raw', `${GV}/namespaces/${NS}/widgets/w1`, '--as', 'bob']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`widgets.${GROUP} "w1" is forbidden: User "bob" cannot get resource "widgets" in API group "${GROUP}" in the namespace "${NS}"`);
  });

  it('proxies a PUT and a POST with their bodies intact', async () => {
    const body = JSON.stringify({ kind: 'Widget', spec: { big: 'x'.repeat(200_000), unicode: 'é✓' } });
    for (const method of ['PUT', 'POST']) {
      const r = await raw(method, `${GV}/namespaces/${NS}/widgets/w1`, body, { 'content-type': 'application/json' });
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ method, body });
    }
  });

  it('streams a chunked answer: the first line arrives before the backend has ended', async () => {
    const u = new URL(s.url);
    const lines: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: `${GV}/stream`, ca: s.caPem, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          const parts = buf.split('\n');
          buf = parts.pop()!;
          lines.push(...parts);
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    await waitFor('the first streamed line', () => lines.length === 1);
    expect(lines).toEqual(['{"line":1}']);
    releaseStream();
    await done;
    expect(lines).toEqual(['{"line":1}', '{"line":2}']);
  });

  it('splices a connection upgrade to the backend (console/VNC style)', async () => {
    const u = new URL(s.url);
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        path: `${GV}/namespaces/${NS}/widgets/w1/console`,
        ca: s.caPem,
        headers: { authorization: `Bearer ${s.token}`, connection: 'Upgrade', upgrade: 'echo' },
      });
      req.on('upgrade', (res, socket) => {
        expect(res.headers['x-seen-user']).toBe('kubernetes-admin');
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString());
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(echoed).toBe('ping');
  });

  it('lists the group in discovery, and kubectl api-resources shows the backend resources', async () => {
    const groups = (await raw('GET', '/apis')).json().groups;
    expect(groups.find((g: any) => g.name === GROUP)).toEqual({ name: GROUP, versions: [{ groupVersion: `${GROUP}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${GROUP}/v1`, version: 'v1' } });
    expect((await raw('GET', `/apis/${GROUP}`)).json()).toMatchObject({ kind: 'APIGroup', name: GROUP });
    expect((await raw('GET', GV)).json()).toEqual(RESOURCES);
    const out = await ok(['api-resources', '--api-group', GROUP]);
    expect(out).toMatch(new RegExp(`widgets\\s+${GROUP.replace(/\./g, '\\.')}/v1\\s+true\\s+Widget`));
  });

  it('when the backend stops: Available False (FailedDiscoveryCheck) and 503 service unavailable; back to True when it returns', async () => {
    const port = backendPort;
    await stopBackend();
    // A check racing the close may see a reset first; the condition settles on the refused connection.
    const cond = await waitFor('Available=False with connection refused', async () => {
      const c = await availability();
      return c?.status === 'False' && c.message.includes('connection refused') ? c : undefined;
    });
    expect(cond).toMatchObject({ reason: 'FailedDiscoveryCheck' });
    expect(cond.message).toBe(`failing or missing response from https://127.0.0.1:${port}${GV}: Get "https://127.0.0.1:${port}${GV}": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(await ok(['get', 'apiservice', `v1.${GROUP}`])).toMatch(/\sFalse \(FailedDiscoveryCheck\)\s/);
    const r = await raw('GET', `${GV}/namespaces/${NS}/widgets/w1`);
    expect(r.status).toBe(503);
    expect(r.text).toBe('service unavailable\n');
    const k = await s.kubectl(['get', '--raw', `${GV}/namespaces/${NS}/widgets/w1`]);
    expect(k.stderr).toContain('the server is currently unable to handle the request');
    // The same port again, so the Endpoints stay right.
    await startBackend((await raw('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication')).json().data['requestheader-client-ca-file'], port);
    await ok(['apply', '-f', '-'], apiService());
    await waitFor('Available=True again', async () => (await availability())?.status === 'True');
  });

  it('verifies the backend with caBundle: a CA that did not sign it fails the check; insecureSkipTLSVerify skips it', async () => {
    const wrongCa = (await raw('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication')).json().data['requestheader-client-ca-file'];
    await ok(['apply', '-f', '-'], apiService({ caBundle: Buffer.from(wrongCa).toString('base64') }));
    const cond = await waitFor('Available=False for the wrong CA', async () => {
      const c = await availability();
      return c?.status === 'False' ? c : undefined;
    });
    expect(cond.message).toContain('x509: certificate signed by unknown authority');
    expect((await raw('GET', `${GV}/namespaces/${NS}/widgets/w1`)).status).toBe(503);
    await ok(['apply', '-f', '-'], apiService({ insecureSkipTLSVerify: true }));
    await waitFor('Available=True without verification', async () => (await availability())?.status === 'True');
    expect(JSON.parse(await ok(['get', '--raw', `${GV}/namespaces/${NS}/widgets/w1`])).user).toBe('kubernetes-admin');
    await ok(['apply', '-f', '-'], apiService());
  });

  it('says MissingEndpoints when the Endpoints go', async () => {
    await ok(['delete', 'endpoints', 'backend', '-n', NS]);
    await waitFor('MissingEndpoints', async () => (await availability())?.reason === 'MissingEndpoints');
    expect((await raw('GET', `${GV}/namespaces/${NS}/widgets/w1`)).status).toBe(503);
  });

  it('stops proxying at once when the APIService is deleted: 404, and gone from discovery', async () => {
    await ok(['delete', 'apiservice', `v1.${GROUP}`]);
    const r = await raw('GET', `${GV}/namespaces/${NS}/widgets/w1`);
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found\n');
    expect((await raw('GET', '/apis')).json().groups.map((g: any) => g.name)).not.toContain(GROUP);
  });

  it('closes open proxied streams and upgraded connections when the server stops', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'backend', namespace: NS }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: backendPort }] }] }));
    await ok(['apply', '-f', '-'], apiService());
    await waitFor('Available again', async () => (await availability())?.status === 'True');
    const u = new URL(s.url);
    const base = { host: u.hostname, port: u.port, ca: s.caPem };
    let streamed = '';
    const streamEnded = new Promise<void>((resolve) => {
      const req = request({ ...base, path: `${GV}/stream`, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
        res.on('data', (c: Buffer) => (streamed += c.toString()));
        res.on('close', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    const upgraded = await new Promise<Socket>((resolve, reject) => {
      const req = request({ ...base, path: `${GV}/namespaces/${NS}/widgets/w1/console`, headers: { authorization: `Bearer ${s.token}`, connection: 'Upgrade', upgrade: 'echo' } });
      req.on('upgrade', (_res, socket) => resolve(socket));
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    const upgradedClosed = new Promise<void>((resolve) => upgraded.on('close', () => resolve()));
    upgraded.on('error', () => {});
    await waitFor('the stream to start', () => streamed.includes('"line":1'));
    await s.stop();
    await Promise.all([streamEnded, upgradedClosed]);
  });
});
