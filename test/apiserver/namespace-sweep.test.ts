// Deleting a big namespace does not outrun the watchers: after the first batch, the server deletes
// the next one only once no watch has more than a quarter of its slow-client bound unread, so a
// client that reads a little slower than the sweep deletes is not closed and made to list again.
// The watcher here is one whose backlog the test sets, registered in the real server's store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '@virtsim/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer({ port: 0, watchBufferBytes: 256 * 1024 });
});

afterAll(async () => {
  await server?.close();
});

describe('namespace sweep', () => {
  it('waits while a watch is behind, and goes on once it caught up', async () => {
    const raw = rawClient(server.url, server.caPem, server.adminToken);
    const post = async (path: string, body: unknown) => expect((await raw('POST', path, JSON.stringify(body), { 'content-type': 'application/json' })).status).toBe(201);
    await post('/api/v1/namespaces', { metadata: { name: 'paced' } });
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 50 }, (_, j) => post('/api/v1/namespaces/paced/configmaps', { metadata: { name: `cm-${i}-${j}` } })));

    let deleted = 0;
    let behind = 0;
    let looked = 0;
    server.store.addWatcher('/configmaps', {
      deliver(ev) {
        if (ev.type !== 'DELETED' || ev.ns !== 'paced') return;
        // From the first deletion on, the client reads nothing (1 MiB unread, 64 KiB allowed).
        deleted++;
        behind ||= 1024 * 1024;
      },
      unreadBytes() {
        if (behind) looked++;
        return behind;
      },
    });
    expect((await raw('DELETE', '/api/v1/namespaces/paced')).json().status.phase).toBe('Terminating');
    await waitFor('the sweep to find the watch behind three times', () => looked >= 3);
    // The first batch (100 objects, the namespace's default ServiceAccount among them) and no more.
    expect(deleted).toBeGreaterThan(0);
    expect(deleted).toBeLessThanOrEqual(100);
    behind = 0;
    await waitFor('namespace gone', async () => (await raw('GET', '/api/v1/namespaces/paced')).status === 404);
    expect(deleted).toBe(250);
  });
});
