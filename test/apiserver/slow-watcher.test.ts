// A watcher that stops reading is disconnected once its unread bytes pass the bound, instead of
// growing the server's memory (counted in apiserver_terminated_watchers_total and logged); fast
// watchers of the same events are not affected. A client that resumes from further back than a
// watch may buffer gets 410 Expired and lists instead. A watch that lists (sendInitialEvents) sends
// its initial state as its client reads it, holding what changes meanwhile for after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;

beforeAll(async () => {
  s = await startApiServerForTest({ inProcess: true, serverOptions: { watchBufferBytes: 256 * 1024 } });
});

afterAll(async () => {
  await s?.stop();
});

function watch(path: string, read: boolean) {
  const u = new URL(s.url);
  const st = { bytes: 0, closed: false, req: undefined as ClientRequest | undefined };
  st.req = request({ host: u.hostname, port: u.port, path, ca: s.caPem, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
    if (read) res.on('data', (c: Buffer) => (st.bytes += c.length));
    else res.pause();
    res.on('close', () => (st.closed = true));
    res.on('error', () => (st.closed = true));
  });
  st.req.on('error', () => (st.closed = true));
  st.req.end();
  return st;
}

/** A watch whose client reads nothing until resume(); then it collects the parsed lines. */
function pausedWatch(path: string) {
  const u = new URL(s.url);
  const st = { events: [] as any[], closed: false, resume: () => {} };
  const req = request({ host: u.hostname, port: u.port, path, ca: s.caPem, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
    res.pause();
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        st.events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    });
    st.resume = () => res.resume();
    res.on('close', () => (st.closed = true));
    res.on('error', () => (st.closed = true));
  });
  req.on('error', () => (st.closed = true));
  req.end();
  return { st, destroy: () => req.destroy() };
}

describe('slow watchers', () => {
  it('closes a watcher that does not read, keeps the one that does', async () => {
    const raw = rawClient(s.url, s.caPem, s.token);
    const ct = { 'content-type': 'application/json' };
    expect((await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'big' } }), ct)).status).toBe(201);
    const metrics = async () => Number(/^apiserver_registered_watchers\{[^}]*\} (\d+)/m.exec((await raw('GET', '/metrics')).text)?.[1]);
    const slow = watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0', false);
    const fast = watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0', true);
    await waitFor('both watchers registered', async () => (await metrics()) === 2);
    const payload = 'x'.repeat(512 * 1024);
    let patches = 0;
    await waitFor('the slow watcher to be dropped', async () => {
      const r = await raw('PATCH', '/api/v1/namespaces/default/configmaps/big', JSON.stringify({ data: { v: payload + patches++ } }), { 'content-type': 'application/merge-patch+json' });
      expect(r.status).toBe(200);
      return (await metrics()) === 1;
    }, { timeoutMs: 50_000, intervalMs: 1 });
    expect(fast.closed).toBe(false);
    expect(slow.bytes).toBe(0);
    await waitFor('the fast watcher to have read every event', () => fast.bytes > patches * payload.length);
    expect(await metrics()).toBe(1);
    // Counted as kube-apiserver counts the watches it terminates; the fast one was not.
    const terminated = /^apiserver_terminated_watchers_total\{resource="configmaps"[^}]*\} (\d+)/m.exec((await raw('GET', '/metrics')).text)?.[1];
    expect(terminated).toBe('1');
    fast.req!.destroy();
    await waitFor('no watchers left', async () => (await metrics()) === 0);
  });

  describe('a watch that lists (sendInitialEvents)', () => {
    const ns = 'initial-state';
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const listingWatch = `${base}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`;
    const ct = { 'content-type': 'application/json' };
    const merge = { 'content-type': 'application/merge-patch+json' };
    const backlog = async (raw: ReturnType<typeof rawClient>) => Number(/^apiserver_watch_backlog_bytes(?:\{[^}]*\})? (\d+)/m.exec((await raw('GET', '/metrics')).text)?.[1]);
    const registered = async (raw: ReturnType<typeof rawClient>) => Number(/^apiserver_registered_watchers\{[^}]*\} (\d+)/m.exec((await raw('GET', '/metrics')).text)?.[1] ?? 0);

    beforeAll(async () => {
      const raw = rawClient(s.url, s.caPem, s.token);
      expect((await raw('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: ns } }), ct)).status).toBe(201);
      // 300 x 100 KiB: 30 MB of initial state, more than loopback's socket buffers take unread.
      const filler = 'i'.repeat(100 * 1024);
      for (let i = 0; i < 300; i++) expect((await raw('POST', base, JSON.stringify({ metadata: { name: `cm-${i}` }, data: { v: filler } }), ct)).status).toBe(201);
    });

    it('holds what changes while its client reads the initial state slowly, and sends it after the end bookmark, in order', async () => {
      const raw = rawClient(s.url, s.caPem, s.token);
      const before = await registered(raw);
      const w = pausedWatch(listingWatch);
      await waitFor('the watch registered', async () => (await registered(raw)) === before + 1);
      // 4 x 200 KiB while the client reads nothing: past the 256 KiB a watch may leave unread, but
      // the initial state is not sent yet, so they wait for it.
      const rvs: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await raw('PATCH', `${base}/cm-${i}`, JSON.stringify({ data: { v: String(i).repeat(200 * 1024) } }), merge);
        expect(r.status).toBe(200);
        rvs.push(r.json().metadata.resourceVersion);
      }
      expect(w.st.closed).toBe(false);
      // What a namespace sweep waits on: the state not yet read (most of 30 MB; the kernel's socket
      // buffers took some) and the 800 KiB held.
      expect(await backlog(raw)).toBeGreaterThan(15 * 1024 * 1024);
      w.st.resume();
      await waitFor('the held events', () => w.st.events.length === 300 + 1 + 4, { timeoutMs: 30_000 });
      expect(await backlog(raw)).toBeLessThan(256 * 1024);
      const ev = w.st.events;
      expect(ev.slice(0, 300).every((e) => e.type === 'ADDED')).toBe(true);
      expect(new Set(ev.slice(0, 300).map((e) => e.object.metadata.name)).size).toBe(300);
      // The initial state is as of the watch's start: the patches come after it, not in it.
      expect(ev.slice(0, 300).some((e) => rvs.includes(e.object.metadata.resourceVersion))).toBe(false);
      expect(ev[300]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
      expect(ev.slice(301).map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])).toEqual(rvs.map((rv, i) => ['MODIFIED', `cm-${i}`, rv]));
      expect(w.st.closed).toBe(false);
      w.destroy();
      await waitFor('the watch gone', async () => (await registered(raw)) === before);
    });

    it('closes one that lets more pile up than it may hold (8 x the unread bound)', async () => {
      const raw = rawClient(s.url, s.caPem, s.token);
      const before = await registered(raw);
      const w = pausedWatch(listingWatch);
      await waitFor('the watch registered', async () => (await registered(raw)) === before + 1);
      // 256 KiB x 8 = 2 MiB may be held: 12 x 200 KiB is more.
      for (let i = 0; i < 12; i++) expect((await raw('PATCH', `${base}/cm-${i}`, JSON.stringify({ data: { v: String(i + 5).repeat(200 * 1024) } }), merge)).status).toBe(200);
      await waitFor('the watch closed', async () => (await registered(raw)) === before);
      w.destroy();
    });
  });

  it('answers 410 Expired to a resume whose backlog is more than a watch may buffer, and replays a shorter one', async () => {
    const raw = rawClient(s.url, s.caPem, s.token);
    const base = '/api/v1/namespaces/default/configmaps';
    const created = await raw('POST', base, JSON.stringify({ metadata: { name: 'backlog' } }), { 'content-type': 'application/json' });
    const rvs = [JSON.parse(created.text).metadata.resourceVersion as string];
    for (let i = 0; i < 4; i++) {
      const r = await raw('PATCH', `${base}/backlog`, JSON.stringify({ data: { v: String(i).repeat(100 * 1024) } }), { 'content-type': 'application/merge-patch+json' });
      rvs.push(JSON.parse(r.text).metadata.resourceVersion);
    }
    const resume = async (rv: string) => (await raw('GET', `${base}?watch=true&fieldSelector=metadata.name%3Dbacklog&resourceVersion=${rv}&timeoutSeconds=1`)).text.trim().split('\n').map((l) => JSON.parse(l));
    // 4 x 100 KiB behind, with 256 KiB allowed unread.
    const far = await resume(rvs[0]);
    expect(far).toHaveLength(1);
    expect(far[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const near = await resume(rvs[2]);
    expect(near.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([['MODIFIED', rvs[3]], ['MODIFIED', rvs[4]]]);
  });
});
