// Write lanes: two Writers of one process (as the node agent's stage writes and its Lease
// renewals) against a real HTTP server that holds the writes of one lane unanswered. The other
// lane's writes still go through, and the queue gauge shows which lane waits.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { KubeClient } from './client.ts';
import { Writer, type WriteRequest } from './writer.ts';

let server: http.Server;
const clients: KubeClient[] = [];
/** Answers held back: the writes to ConfigMaps (the stuck lane) wait here until released. */
const held: Array<() => void> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success' }));
      };
      if (req.url!.includes('/configmaps/')) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  for (const f of held.splice(0)) f();
  for (const c of clients) c.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function newClient(): Promise<KubeClient> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  const c = await KubeClient.fromKubeConfig(kc);
  clients.push(c);
  return c;
}

const put = (resource: string, name: string): WriteRequest => ({ key: `default/${name}`, resource, method: 'PUT', path: `/api/v1/namespaces/default/${resource}/${name}`, body: {} });

async function gauge(registry: Registry, name: string): Promise<Record<string, number>> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name) as { values: Array<{ value: number; labels: Record<string, string> }> };
  return Object.fromEntries(m.values.map((v) => [v.labels.lane ?? '', v.value]));
}

describe('Writer lanes', () => {
  it("serves one lane while the other's writes wait, and reports each lane's queue apart in one set of metrics", async () => {
    const registry = new Registry();
    const log = pino({ level: 'silent' });
    const objects = new Writer(await newClient(), { concurrency: 1, log, registry });
    const leases = new Writer(await newClient(), { concurrency: 1, lane: 'heartbeat', log, registry });

    // One write in flight (held by the server) and three queued behind it in the default lane.
    const stuck = ['a', 'b', 'c', 'd'].map((n) => objects.write(put('configmaps', n)));
    await waitFor('the first write to reach the server', () => held.length === 1, { timeoutMs: 5000 });
    expect(await gauge(registry, 'virtsim_api_writes_queued')).toEqual({ default: 3, heartbeat: 0 });

    // The heartbeat lane does not wait for them.
    for (const n of ['node-1', 'node-2', 'node-3']) expect((await leases.write(put('leases', n))).outcome).toBe('done');
    expect(held.length).toBe(1);

    // Released, the default lane drains; both lanes' writes are in the one latency histogram.
    let drained = false;
    void Promise.all(stuck).then(() => (drained = true));
    // Each answer lets the next queued write reach the server, where it is held in turn.
    await waitFor('the default lane to drain', () => {
      for (const f of held.splice(0)) f();
      return drained;
    }, { timeoutMs: 5000 });
    expect(await gauge(registry, 'virtsim_api_writes_queued')).toEqual({ default: 0, heartbeat: 0 });
    const latency = (await registry.getMetricsAsJSON()).find((x) => x.name === 'virtsim_api_write_duration_seconds') as { values: Array<{ metricName?: string; value: number; labels: Record<string, string> }> };
    const counts = Object.fromEntries(latency.values.filter((v) => v.metricName?.endsWith('_count')).map((v) => [v.labels.resource, v.value]));
    expect(counts).toEqual({ configmaps: 4, leases: 3 });
  });
});
