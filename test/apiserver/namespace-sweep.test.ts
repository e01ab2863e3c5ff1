// Deleting a big namespace does not outrun the watchers: after the first batch, the server deletes
// the next one only once no watch has more than a quarter of its slow-client bound unread, so a
// client that reads a little slower than the sweep deletes is not closed and made to list again.
// It waits as long as that backlog shrinks; a client that reads nothing holds it 1 s at most.
// The watchers here are ones whose backlog the test sets, registered in the real server's store.
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

/** A namespace of 250 ConfigMaps (249 and its default ServiceAccount). */
async function namespaceOf250(ns: string) {
  const raw = rawClient(server.url, server.caPem, server.adminToken);
  const post = async (path: string, body: unknown) => expect((await raw('POST', path, JSON.stringify(body), { 'content-type': 'application/json' })).status).toBe(201);
  await post('/api/v1/namespaces', { metadata: { name: ns } });
  for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 50 }, (_, j) => post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `cm-${i}-${j}` } })));
  return raw;
}

/**
 * A watch of ConfigMaps whose client falls behind at the namespace's first deletion: `backlog`
 * says what it has unread each time the sweep looks (called with the number of that look).
 */
function laggingWatch(ns: string, backlog: (look: number) => number) {
  const w = { deleted: 0, looked: 0, caughtUp: false };
  const sink = {
    deliver(ev: { type: string; ns: string }) {
      if (ev.type === 'DELETED' && ev.ns === ns) w.deleted++;
    },
    backlogBytes() {
      if (!w.deleted || w.caughtUp) return 0;
      return backlog(++w.looked);
    },
  };
  server.store.addWatcher('/configmaps', sink);
  return Object.assign(w, { remove: () => server.store.removeWatcher('/configmaps', sink) });
}

describe('namespace sweep', () => {
  it('waits while a watch is behind, and goes on once it caught up', async () => {
    const raw = await namespaceOf250('paced');
    // From the first deletion on, the client reads nothing (1 MiB unread, 64 KiB allowed).
    const watch = laggingWatch('paced', () => 1024 * 1024);
    try {
      expect((await raw('DELETE', '/api/v1/namespaces/paced')).json().status.phase).toBe('Terminating');
      await waitFor('the sweep to find the watch behind three times', () => watch.looked >= 3);
      // The first batch (100 objects, the namespace's default ServiceAccount among them) and no more.
      expect(watch.deleted).toBeGreaterThan(0);
      expect(watch.deleted).toBeLessThanOrEqual(100);
      watch.caughtUp = true;
      await waitFor('namespace gone', async () => (await raw('GET', '/api/v1/namespaces/paced')).status === 404);
      expect(watch.deleted).toBe(250);
    } finally {
      watch.remove();
    }
  });

  it('keeps waiting for a watch that reads slowly, past the time it gives one that reads nothing', async () => {
    const raw = await namespaceOf250('slow-reader');
    // The client reads a little between two looks: its backlog shrinks, slowly.
    const watch = laggingWatch('slow-reader', (look) => 1024 * 1024 - look);
    try {
      expect((await raw('DELETE', '/api/v1/namespaces/slow-reader')).json().status.phase).toBe('Terminating');
      // 100 looks, 20 ms apart: twice as long as a watch that reads nothing may hold the sweep.
      await waitFor('the sweep to look at the slow watch 100 times', () => watch.looked >= 100);
      expect(watch.deleted).toBeLessThanOrEqual(100);
      watch.caughtUp = true;
      await waitFor('namespace gone', async () => (await raw('GET', '/api/v1/namespaces/slow-reader')).status === 404);
      expect(watch.deleted).toBe(250);
    } finally {
      watch.remove();
    }
  });

  it('does not let a watch that reads nothing hold a namespace', async () => {
    const raw = await namespaceOf250('stuck-reader');
    const watch = laggingWatch('stuck-reader', () => 1024 * 1024);
    try {
      expect((await raw('DELETE', '/api/v1/namespaces/stuck-reader')).json().status.phase).toBe('Terminating');
      await waitFor('namespace gone', async () => (await raw('GET', '/api/v1/namespaces/stuck-reader')).status === 404);
      expect(watch.deleted).toBe(250);
    } finally {
      watch.remove();
    }
  });
});
