// The API on a Unix socket (`--unix-socket`), as virtsim's own processes use it: the same objects,
// watches and authentication as the TLS port, a socket only its owner may open, and a restart
// after kill -9 that takes over the socket file the dead server left.
import { request } from 'node:http';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@virtsim/kube';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';

/** A plain HTTP GET over the socket; the status and body. */
function getOverSocket(socketPath: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the API server on a Unix socket', () => {
  let dir: string;
  let socket: string;
  let socketKubeconfig: string;
  let server: ApiServerHarness;

  const start = () => startApiServerForTest({ dataDir: join(dir, 'data'), args: ['--unix-socket', socket, '--unix-socket-kubeconfig-out', socketKubeconfig] });

  beforeAll(async () => {
    // A space, '#' and '%' in the path: the kubeconfig's unix:// URL must carry it intact.
    dir = mkdtempSync(join(tmpdir(), 'virtsim unix #%-'));
    socket = join(dir, 'api.sock');
    socketKubeconfig = join(dir, 'socket-kubeconfig');
    server = await start();
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a socket only its owner can open, with a kubeconfig only its owner can read', () => {
    expect(lstatSync(socket).isSocket()).toBe(true);
    expect(lstatSync(socket).mode & 0o777).toBe(0o600);
    expect(lstatSync(socketKubeconfig).mode & 0o777).toBe(0o600);
  });

  it('serves the same objects as the TLS port, watches included, to a client of the socket kubeconfig', async () => {
    const overSocket = await KubeClient.fromFile(socketKubeconfig);
    const overTls = await KubeClient.fromFile(server.kubeconfigPath);
    try {
      const lines: string[] = [];
      const abort = new AbortController();
      const watching = overSocket.stream({ path: '/api/v1/namespaces/default/configmaps', query: { watch: true }, signal: abort.signal }, (l) => lines.push(l)).catch(() => {});
      await overSocket.request({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'via-socket' }, data: { a: '1' } } });
      const seen = (await overTls.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/via-socket' })) as { data: Record<string, string> };
      expect(seen.data).toEqual({ a: '1' });
      await waitFor('the watch over the socket to see the ConfigMap', () => lines.some((l) => l.includes('"ADDED"') && l.includes('via-socket')), { timeoutMs: 10_000 });
      abort.abort();
      await watching;
    } finally {
      overSocket.close();
      overTls.close();
    }
  });

  it('authenticates as the TLS port does: no token, 401; a wrong one, 401', async () => {
    expect((await getOverSocket(socket, '/api/v1/namespaces')).status).toBe(401);
    expect((await getOverSocket(socket, '/api/v1/namespaces', { Authorization: 'Bearer not-the-token' })).status).toBe(401);
    const ok = await getOverSocket(socket, '/api/v1/namespaces', { Authorization: `Bearer ${server.token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).kind).toBe('NamespaceList');
  });

  it('refuses a second server on a live socket, and a path that is not a socket', async () => {
    const second = startApiServerForTest({ args: ['--unix-socket', socket], timeoutMs: 15_000 });
    await expect(second).rejects.toThrow(/another server is listening there/);
    const plainFile = join(dir, 'not-a-socket');
    writeFileSync(plainFile, 'x');
    await expect(startApiServerForTest({ args: ['--unix-socket', plainFile], timeoutMs: 15_000 })).rejects.toThrow(/a file that is not a socket is there/);
  });

  it('after kill -9, a restart takes over the socket file left behind and keeps the objects', async () => {
    server.child!.kill('SIGKILL');
    await waitFor('the killed server to exit', () => server.child!.exitCode !== null || server.child!.signalCode !== null, { timeoutMs: 10_000 });
    expect(lstatSync(socket).isSocket()).toBe(true);
    server = await start();
    const client = await KubeClient.fromFile(socketKubeconfig);
    try {
      const cm = (await client.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/via-socket' })) as { data: Record<string, string> };
      expect(cm.data).toEqual({ a: '1' });
    } finally {
      client.close();
    }
  });
});
