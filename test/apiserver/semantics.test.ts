// Kubernetes object semantics over raw HTTPS against `virtsim apiserver` (child process):
// generateName, generation, garbage collection, graceful pod deletion, namespaces, watch bookmarks,
// sendInitialEvents, timeoutSeconds, deletecollection, discovery, health and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
const CT = { 'content-type': 'application/json' };
const MERGE = { 'content-type': 'application/merge-patch+json' };

async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = CT) {
  const r = await raw(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.json();
}

/** Opens a watch and collects its events until closed. */
function openWatch(path: string) {
  const events: any[] = [];
  let ended = false;
  const u = new URL(s.url);
  const req = request({ host: u.hostname, port: u.port, path, ca: s.caPem, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    });
    res.on('end', () => (ended = true));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  req.end();
  return { events, ended: () => ended, close: () => req.destroy() };
}

beforeAll(async () => {
  s = await startApiServerForTest({ args: ['--no-audit'] });
  raw = rawClient(s.url, s.caPem, s.token);
  await ok('POST', '/api/v1/namespaces', { metadata: { name: 'sem' } });
});

afterAll(async () => {
  await s?.stop();
});

describe('object semantics', () => {
  it('names objects from generateName with a 5-character suffix and sets uid, creationTimestamp, generation', async () => {
    const cm = await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { generateName: 'gen-' } });
    expect(cm.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(cm.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(cm.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(cm.metadata.generation).toBe(1);
    expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it('gives every namespace its default ServiceAccount, as the service account controller does', async () => {
    expect((await ok('GET', '/api/v1/namespaces/sem/serviceaccounts/default')).metadata.namespace).toBe('sem');
    expect((await ok('GET', '/api/v1/namespaces/kube-system/serviceaccounts/default')).metadata.name).toBe('default');
  });

  it('bumps generation on spec changes only when status is a subresource', async () => {
    const pod = await ok('POST', '/api/v1/namespaces/sem/pods', { metadata: { name: 'gen' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
    expect(pod.metadata.generation).toBe(1);
    let p = await ok('PATCH', '/api/v1/namespaces/sem/pods/gen/status', { status: { phase: 'Running' } }, MERGE);
    expect(p.metadata.generation).toBe(1);
    p = await ok('PATCH', '/api/v1/namespaces/sem/pods/gen', { metadata: { labels: { a: 'b' } } }, MERGE);
    expect(p.metadata.generation).toBe(1);
    p = await ok('PATCH', '/api/v1/namespaces/sem/pods/gen', { spec: { activeDeadlineSeconds: 5 } }, MERGE);
    expect(p.metadata.generation).toBe(2);
    // an unchanged write is not written: same resourceVersion, no event
    const again = await ok('PATCH', '/api/v1/namespaces/sem/pods/gen', { spec: { activeDeadlineSeconds: 5 } }, MERGE);
    expect(again.metadata.resourceVersion).toBe(p.metadata.resourceVersion);
  });

  it('answers a dry-run patch with the patched object without storing it', async () => {
    await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { name: 'dry' }, data: { a: '1' } });
    const dry = await ok('PATCH', '/api/v1/namespaces/sem/configmaps/dry?dryRun=All', { data: { a: '2' } }, MERGE);
    expect(dry.data.a).toBe('2');
    expect((await ok('GET', '/api/v1/namespaces/sem/configmaps/dry')).data.a).toBe('1');
  });

  it('collects dependents of a deleted owner (background) and orphans them when asked', async () => {
    const owner = await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { name: 'owner' } });
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }];
    await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { name: 'dep-1', ownerReferences: ref } });
    await ok('POST', '/api/v1/namespaces/sem/secrets', { metadata: { name: 'dep-2', ownerReferences: ref } });
    await ok('DELETE', '/api/v1/namespaces/sem/configmaps/owner');
    expect((await raw('GET', '/api/v1/namespaces/sem/configmaps/dep-1')).status).toBe(404);
    expect((await raw('GET', '/api/v1/namespaces/sem/secrets/dep-2')).status).toBe(404);

    const owner2 = await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { name: 'owner2' } });
    await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { name: 'orphan', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner2.metadata.uid }] } });
    await ok('DELETE', '/api/v1/namespaces/sem/configmaps/owner2', { propagationPolicy: 'Orphan' });
    const orphan = await ok('GET', '/api/v1/namespaces/sem/configmaps/orphan');
    expect(orphan.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes a pod on a node gracefully: deletionTimestamp first, gone after a delete with grace 0', async () => {
    await ok('POST', '/api/v1/namespaces/sem/pods', { metadata: { name: 'graceful' }, spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'x:1' }] } });
    const d = await ok('DELETE', '/api/v1/namespaces/sem/pods/graceful');
    expect(d.metadata.deletionTimestamp).toBeDefined();
    expect(d.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await raw('GET', '/api/v1/namespaces/sem/pods/graceful')).status).toBe(200);
    await ok('DELETE', '/api/v1/namespaces/sem/pods/graceful?gracePeriodSeconds=0');
    expect((await raw('GET', '/api/v1/namespaces/sem/pods/graceful')).status).toBe(404);
  });

  it('terminates a namespace: contents deleted, then the namespace; new content refused meanwhile', async () => {
    await ok('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await ok('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'held', finalizers: ['example.com/x'] } });
    const ns = await ok('DELETE', '/api/v1/namespaces/doomed');
    expect(ns.status.phase).toBe('Terminating');
    const refused = await raw('POST', '/api/v1/namespaces/doomed/configmaps', JSON.stringify({ metadata: { name: 'new' } }), CT);
    expect(refused.status).toBe(403);
    expect(refused.json().message).toContain('because it is being terminated');
    await ok('PATCH', '/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: null } }, MERGE);
    await waitFor('namespace gone', async () => (await raw('GET', '/api/v1/namespaces/doomed')).status === 404);
  });

  it('empties a namespace larger than one sweep (the rest deleted in later turns) and then removes it', async () => {
    await ok('POST', '/api/v1/namespaces', { metadata: { name: 'big' } });
    for (let i = 0; i < 5; i++) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => ok('POST', '/api/v1/namespaces/big/configmaps', { metadata: { name: `cm-${i}-${j}` } })));
      await ok('POST', '/api/v1/namespaces/big/secrets', { metadata: { name: `s-${i}` } });
    }
    expect((await ok('DELETE', '/api/v1/namespaces/big')).status.phase).toBe('Terminating');
    await waitFor('namespace gone', async () => (await raw('GET', '/api/v1/namespaces/big')).status === 404);
    expect((await ok('GET', '/api/v1/namespaces/big/configmaps')).items).toEqual([]);
    expect((await ok('GET', '/api/v1/namespaces/big/secrets')).items).toEqual([]);
  });

  it('deletes a collection by label selector', async () => {
    for (const [n, l] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) await ok('POST', '/api/v1/namespaces/sem/secrets', { metadata: { name: `col-${n}`, labels: { grp: l } } });
    const del = await ok('DELETE', '/api/v1/namespaces/sem/secrets?labelSelector=grp%3Dx');
    expect(del.items.map((i: any) => i.metadata.name).sort()).toEqual(['col-a', 'col-b']);
    const left = await ok('GET', '/api/v1/namespaces/sem/secrets?labelSelector=grp');
    expect(left.items.map((i: any) => i.metadata.name)).toEqual(['col-c']);
  });

  it('sends initial events then a bookmark marking their end, and ends a watch after timeoutSeconds', async () => {
    await ok('POST', '/api/v1/namespaces/sem/configmaps', { metadata: { name: 'initial' } });
    const w = openWatch('/api/v1/namespaces/sem/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=&timeoutSeconds=1');
    await waitFor('the end-of-initial-events bookmark', () => w.events.find((e) => e.type === 'BOOKMARK'));
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    const before = w.events.slice(0, w.events.indexOf(bookmark));
    expect(before.every((e) => e.type === 'ADDED')).toBe(true);
    expect(before.map((e) => e.object.metadata.name)).toContain('initial');
    await waitFor('the watch to end after timeoutSeconds', () => w.ended());
  });

  it('deletes the objects of a deleted CRD, telling watchers (also on the deprecated /watch/ path)', async () => {
    await ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gizmos.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'gizmos', kind: 'Gizmo' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    await ok('POST', '/apis/example.com/v1/namespaces/sem/gizmos', { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g1' }, spec: { any: 'thing' } });
    const list = await ok('GET', '/apis/example.com/v1/namespaces/sem/gizmos');
    expect(list.items[0].spec).toEqual({ any: 'thing' });
    const w = openWatch(`/apis/example.com/v1/watch/namespaces/sem/gizmos?resourceVersion=${list.metadata.resourceVersion}`);
    await ok('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.com');
    await waitFor('the DELETED event', () => w.events.find((e) => e.type === 'DELETED' && e.object.metadata.name === 'g1'));
    w.close();
    expect((await raw('GET', '/apis/example.com/v1/namespaces/sem/gizmos')).status).toBe(404);
  });

  it('stores core and events.k8s.io Events once, each API seeing the other\'s in its own shape', async () => {
    await ok('POST', '/apis/events.k8s.io/v1/namespaces/sem/events', {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e1' }, eventTime: '2026-01-01T00:00:00.000000Z',
      regarding: { kind: 'Pod', name: 'p1', namespace: 'sem' }, reason: 'Started', note: 'started it', type: 'Normal', action: 'Start', reportingController: 'virtsim/agent', reportingInstance: 'agent-0',
    });
    const core = await ok('GET', '/api/v1/namespaces/sem/events/e1');
    expect(core).toMatchObject({ apiVersion: 'v1', involvedObject: { kind: 'Pod', name: 'p1' }, message: 'started it', reportingComponent: 'virtsim/agent', reason: 'Started' });
    expect(core.note).toBeUndefined();
    await ok('POST', '/api/v1/namespaces/sem/events', { metadata: { name: 'e2' }, involvedObject: { kind: 'Pod', name: 'p2', namespace: 'sem' }, reason: 'Killing', message: 'stopping', type: 'Normal', count: 2 });
    const list = await ok('GET', '/apis/events.k8s.io/v1/namespaces/sem/events?fieldSelector=regarding.name%3Dp2');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ apiVersion: 'events.k8s.io/v1', regarding: { name: 'p2' }, note: 'stopping', deprecatedCount: 2 });
    const patched = await ok('PATCH', '/apis/events.k8s.io/v1/namespaces/sem/events/e2', { note: 'stopped' }, MERGE);
    expect(patched.note).toBe('stopped');
    expect((await ok('GET', '/api/v1/namespaces/sem/events/e2')).message).toBe('stopped');
  });

  it('serves aggregated discovery, health, readiness and metrics', async () => {
    const agg = await raw('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(agg.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const groups = agg.json().items.map((g: any) => g.metadata.name);
    expect(groups).toEqual(expect.arrayContaining(['apiextensions.k8s.io', 'coordination.k8s.io', 'events.k8s.io']));
    for (const p of ['/healthz', '/livez', '/readyz']) expect((await raw('GET', p)).text).toBe('ok');
    const metrics = (await raw('GET', '/metrics')).text;
    expect(metrics).toMatch(/apiserver_request_total\{verb="create",resource="configmaps",code="201"/);
    expect(metrics).toMatch(/apiserver_storage_objects\{resource="\/configmaps"/);
    // Every answered request is timed as well as counted (kube-apiserver's latency histogram).
    const sample = (name: string, ...labels: string[]) =>
      metrics.split('\n').filter((l) => l.startsWith(name + '{') && labels.every((x) => l.includes(x))).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const creates = sample('apiserver_request_total', 'verb="create"', 'resource="configmaps"');
    expect(creates).toBeGreaterThan(0);
    expect(sample('apiserver_request_duration_seconds_count', 'verb="create"', 'resource="configmaps"')).toBe(creates);
    expect(sample('apiserver_request_duration_seconds_bucket', 'le="+Inf"', 'verb="create"', 'resource="configmaps"')).toBe(creates);
    const v = await ok('GET', '/version');
    expect(v.major).toBe('1');
  });
});
