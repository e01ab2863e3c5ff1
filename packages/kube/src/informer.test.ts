import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('Informer', () => {
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
});
