import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { pino } from 'pino';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { KubeClient } from './client.ts';
import { Informer } from './informer.ts';
import { NODES } from './resources.ts';
import type { KubeObject } from './object.ts';

let s: ApiServerHarness;
let client: KubeClient;

beforeAll(async () => {
  s = await startApiServerForTest({ inProcess: true });
  client = await KubeClient.fromFile(s.kubeconfigPath);
});

afterAll(async () => {
  client?.close();
  await s?.stop();
});

/** kube-apiserver's count of LIST requests for a resource, from its /metrics. */
function listRequests(server: ApiServerHarness, resource: string): Promise<number> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = https.get({ host: u.hostname, port: u.port, path: '/metrics', ca: server.caPem, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let n = 0;
        for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)/gm)) if (m[1]!.includes('verb="list"') && m[1]!.includes(`resource="${resource}"`)) n += Number(m[2]);
        resolve(n);
      });
    });
    req.on('error', reject);
  });
}

describe('Informer', () => {
  it('lists by watching: the state comes as the first events of a watch that then carries on, with no LIST', async () => {
    for (const name of ['wl-1', 'wl-2']) await client.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });
    const lists = await listRequests(s, 'nodes');
    const seen: string[] = [];
    const synced: string[] = [];
    const inf = new Informer(client, { resource: NODES, log: pino({ enabled: false }), onEvent: (type, obj) => seen.push(`${type} ${obj.metadata.name}`), onSynced: (rv) => synced.push(rv) });
    inf.start();
    try {
      await waitFor('informer synced', () => inf.hasSynced);
      expect(seen).toEqual(expect.arrayContaining(['ADDED wl-1', 'ADDED wl-2']));
      expect(synced).toHaveLength(1);
      expect(inf.resourceVersion).toBe(synced[0]);
      await client.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'wl-3' } } });
      await waitFor('the watch carrying on', () => seen.includes('ADDED wl-3'));
      expect(await listRequests(s, 'nodes')).toBe(lists);
    } finally {
      await inf.stop();
    }
  });

  it('lists in pages from a server that refuses watches that list (the WatchList gate off), then watches', async () => {
    const gateOff = await startApiServerForTest({ inProcess: true, serverOptions: { watchList: false } });
    const gateOffClient = await KubeClient.fromFile(gateOff.kubeconfigPath);
    const logged: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
    const seen: string[] = [];
    const inf = new Informer(gateOffClient, { resource: NODES, log, onEvent: (type, obj) => seen.push(`${type} ${obj.metadata.name}`) });
    try {
      await gateOffClient.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'paged-1' } } });
      inf.start();
      await waitFor('informer synced', () => inf.hasSynced);
      expect(seen).toEqual(['ADDED paged-1']);
      expect(await listRequests(gateOff, 'nodes')).toBe(1);
      expect(logged).toContain('the server does not stream lists (sendInitialEvents), listing in pages');
      await gateOffClient.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'paged-2' } } });
      await waitFor('the watch after the LIST', () => seen.includes('ADDED paged-2'));
    } finally {
      await inf.stop();
      gateOffClient.close();
      await gateOff.stop();
    }
  });

  it("hands a watch event's object text along with the parsed object: the same JSON, not re-serialized", async () => {
    const seen: Array<{ type: string; obj: KubeObject; text?: string }> = [];
    const inf = new Informer(client, { resource: NODES, log: (await import('pino')).pino({ enabled: false }), onEvent: (type, obj, text) => seen.push({ type, obj, text }) });
    inf.start();
    try {
      await waitFor('informer synced', () => inf.hasSynced);
      await client.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n-1', labels: { a: 'b' } } } });
      await waitFor('ADDED seen', () => seen.some((e) => e.type === 'ADDED' && e.obj.metadata.name === 'n-1'));
      const added = seen.find((e) => e.obj.metadata.name === 'n-1')!;
      expect(added.text).toBeDefined();
      expect(JSON.parse(added.text!)).toEqual(added.obj);
    } finally {
      await inf.stop();
    }
  });

  it('keeps what retain projects in its store, while onEvent gets the whole object', async () => {
    const seen: Array<{ type: string; obj: KubeObject }> = [];
    const retain = (o: KubeObject): KubeObject => ({ metadata: { name: o.metadata.name, resourceVersion: o.metadata.resourceVersion } });
    const inf = new Informer(client, { resource: NODES, retain, log: (await import('pino')).pino({ enabled: false }), onEvent: (type, obj) => seen.push({ type, obj }) });
    inf.start();
    try {
      await waitFor('informer synced', () => inf.hasSynced);
      await client.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n-2', labels: { a: 'b' } } } });
      await waitFor('ADDED seen', () => seen.some((e) => e.type === 'ADDED' && e.obj.metadata.name === 'n-2'));
      expect(seen.find((e) => e.obj.metadata.name === 'n-2')!.obj.metadata.labels).toEqual({ a: 'b' });
      const kept = inf.store.get('n-2')!;
      expect(kept).toEqual({ metadata: { name: 'n-2', resourceVersion: kept.metadata.resourceVersion } });
    } finally {
      await inf.stop();
    }
  });

  it('resumes a watch that was serving and then dropped at the first retry step, however often it drops', async () => {
    // Every open watch is cut each 150 ms, as a server closes a watch whose client fell behind.
    const cutting = await startApiServerForTest({ inProcess: true, serverOptions: { faults: { watchCutEveryMs: 150 } } });
    const cuttingClient = await KubeClient.fromFile(cutting.kubeconfigPath);
    const retries: number[] = [];
    const log = (await import('pino')).pino({ level: 'warn' }, { write: (line: string) => void retries.push(JSON.parse(line).retryInMs) });
    const names = new Set<string>();
    const inf = new Informer(cuttingClient, { resource: NODES, log, onEvent: (_t, obj) => names.add(obj.metadata.name) });
    inf.start();
    try {
      await waitFor('informer synced', () => inf.hasSynced);
      // Writes keep each watch delivering until it is cut; every node must still arrive.
      for (let i = 0; retries.length < 8; i++) {
        await cuttingClient.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: `cut-${i}` } } });
        await waitFor(`node cut-${i} seen`, () => names.has(`cut-${i}`));
      }
      // The backoff's steps are 100-200 ms, then 200-400, 400-800, ...: a backoff that grew with
      // each drop passes 400 by the fourth. (A cut that lands before a resumed watch delivered
      // anything counts as a failed attempt, hence the second step's bound.)
      expect(Math.max(...retries), JSON.stringify(retries)).toBeLessThanOrEqual(400);
    } finally {
      await inf.stop();
      cuttingClient.close();
      await cutting.stop();
    }
  });
});
