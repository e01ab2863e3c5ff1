import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '@virtsim/apimachinery';
import { isRetryable } from './retryable.ts';
import { KubeClient } from './client.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string[]>;
  body: string;
}

// A real HTTP server on loopback whose answer depends on the path; it records what it was sent.
let server: http.Server;
let client: KubeClient;
const seen: Seen[] = [];

function configFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headersDistinct as Record<string, string[]>, body: Buffer.concat(chunks).toString() });
      const path = req.url!.split('?')[0];
      if (path === '/api/v1/namespaces/ns/pods/p') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ metadata: { name: 'p', resourceVersion: '7' } }));
      } else if (path === '/throttled') {
        res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down' }));
      } else if (path === '/conflict') {
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }));
      } else if (path === '/slow') {
        // Never answers: the client's timeout must end the request.
      } else if (path === '/watch') {
        res.write('{"type":"ADDED","object":{"n":1}}\n{"type":"MOD');
        setImmediate(() => res.end('IFIED","object":{"n":2}}\n{"type":"DELETED","object":{"n":3}}'));
      } else {
        res.writeHead(404);
        res.end('not here');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = await KubeClient.fromKubeConfig(configFor(`http://127.0.0.1:${port}`));
});

afterAll(async () => {
  client?.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('KubeClient', () => {
  it('sends the body as JSON with the token and impersonation headers, and parses the answer', async () => {
    const body = await client.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/ns/pods/p',
      query: { fieldManager: 'virtsim agent', dryRun: undefined },
      body: { status: { phase: 'Running' } },
      contentType: 'application/merge-patch+json',
      impersonate: { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'], extra: { 'scopes/x': ['a', 'b'] } },
    });
    expect(body).toEqual({ metadata: { name: 'p', resourceVersion: '7' } });
    const s = seen.at(-1)!;
    expect(s.method).toBe('PATCH');
    expect(s.url).toBe('/api/v1/namespaces/ns/pods/p?fieldManager=virtsim%20agent');
    expect(JSON.parse(s.body)).toEqual({ status: { phase: 'Running' } });
    expect(s.headers['content-type']).toEqual(['application/merge-patch+json']);
    expect(s.headers.authorization).toEqual(['Bearer secret-token']);
    expect(s.headers['impersonate-user']).toEqual(['system:node:n1']);
    // Several groups go out as repeated headers, not one comma-joined value.
    expect(s.headers['impersonate-group']).toEqual(['system:nodes', 'system:authenticated']);
    expect(s.headers['impersonate-extra-scopes%2fx']).toEqual(['a', 'b']);
  });

  it('resolves to undefined without parsing when the caller ignores the answer', async () => {
    const body = await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/pods/p', ignoreResponseBody: true });
    expect(body).toBeUndefined();
  });

  it('throws StatusError with the Status reason and Retry-After', async () => {
    const throttled = await client.request({ method: 'GET', path: '/throttled' }).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(StatusError);
    expect(throttled).toMatchObject({ name: 'StatusError', code: 429, reason: 'TooManyRequests', message: 'slow down', retryAfterMs: 2000 });
    expect(isRetryable(throttled)).toBe(true);
    const conflict = await client.request({ method: 'PUT', path: '/conflict', body: {}, ignoreResponseBody: true }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(isRetryable(conflict)).toBe(false);
  });

  it('ends a request that gets no answer with a retryable ETIMEDOUT error', async () => {
    const err = await client.request({ method: 'GET', path: '/slow', timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', message: 'request timed out after 100 ms' });
    expect(isRetryable(err)).toBe(true);
  });

  it('rejects an aborted request', async () => {
    const abort = new AbortController();
    const pending = client.request({ method: 'GET', path: '/slow', signal: abort.signal }).catch((e: unknown) => e);
    abort.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
  });

  it('gives network failures a code, so writers retry them', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const refused = await KubeClient.fromKubeConfig(configFor(`http://127.0.0.1:${port}`));
    const err = await refused.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    refused.close();
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isRetryable(err)).toBe(true);
  });

  it('reads a plain kubeconfig file (server and token) without client-node, to the same requests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    try {
      const file = join(dir, 'kubeconfig');
      const server = client.server.href;
      writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: ${server}\n  name: c\ncontexts:\n- context:\n    cluster: c\n    user: u\n  name: ctx\ncurrent-context: ctx\nusers:\n- name: u\n  user:\n    token: file-token\n`);
      const fromFile = await KubeClient.fromFile(file);
      const body = await fromFile.request({ method: 'GET', path: '/api/v1/namespaces/ns/pods/p' });
      fromFile.close();
      expect(body).toEqual({ metadata: { name: 'p', resourceVersion: '7' } });
      expect(seen.at(-1)!.url).toBe('/api/v1/namespaces/ns/pods/p');
      expect(seen.at(-1)!.headers.authorization).toEqual(['Bearer file-token']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams newline-delimited lines, joining lines split across chunks', async () => {
    const lines: string[] = [];
    await client.stream({ path: '/watch' }, (l) => lines.push(l));
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });
});
