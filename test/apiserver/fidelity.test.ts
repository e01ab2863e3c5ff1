// Answers where clients look, checked against what kube-apiserver 1.26 answers to the same
// requests (the expectations below are the real server's answers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
const JSON_CT = { 'content-type': 'application/json' };
const SMP = { 'content-type': 'application/strategic-merge-patch+json' };
const MERGE = { 'content-type': 'application/merge-patch+json' };
const PODS = '/api/v1/namespaces/default/pods';
const CMS = '/api/v1/namespaces/default/configmaps';
// A small watch window, so a LIST older than it can be shown to be gone.
const WINDOW = 40;

async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = JSON_CT) {
  const r = await raw(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(300);
  return r.json();
}

const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);

beforeAll(async () => {
  s = await startApiServerForTest({ args: ['--no-audit', '--watch-cache-size', String(WINDOW)] });
  raw = rawClient(s.url, s.caPem, s.token);
});

afterAll(async () => {
  await s?.stop();
});

describe('pods/status as the pod status strategy', () => {
  it('keeps labels and annotations sent with the status, and resets the spec and ownerReferences', async () => {
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '6b0f9e64-0000-4000-8000-000000000001' };
    await ok('POST', PODS, { metadata: { name: 'p-status', ownerReferences: [owner] }, spec: { containers: [{ name: 'c', image: 'i:1' }] } });
    const out = await ok(
      'PATCH',
      `${PODS}/p-status/status`,
      { metadata: { labels: { phase: 'running' }, annotations: { note: 'set-with-status' }, ownerReferences: null }, spec: { nodeName: 'elsewhere' }, status: { phase: 'Running' } },
      MERGE,
    );
    expect(out.metadata.labels).toEqual({ phase: 'running' });
    expect(out.metadata.annotations).toEqual({ note: 'set-with-status' });
    expect(out.metadata.ownerReferences).toEqual([owner]);
    expect(out.spec.nodeName).toBeUndefined();
    expect(out.status.phase).toBe('Running');
  });
});

describe('the typed encoding of built-in kinds', () => {
  it('writes unset condition times as null (pods and nodes), as a Go metav1.Time value encodes', async () => {
    await ok('POST', PODS, { metadata: { name: 'p-times' }, spec: { containers: [{ name: 'c', image: 'i:1' }] } });
    const pod = await ok('PATCH', `${PODS}/p-times/status`, { status: { conditions: [{ type: 'Ready', status: 'False', lastProbeTime: null }] } }, SMP);
    expect(pod.status.conditions).toEqual([{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: null }]);
    const node = await ok('POST', '/api/v1/nodes', { metadata: { name: 'n-times' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(node.status.conditions).toEqual([{ type: 'Ready', status: 'True', lastHeartbeatTime: null, lastTransitionTime: null }]);
  });

  it('takes a JSON patch of null as the empty patch (Go decodes null into a nil slice)', async () => {
    await ok('POST', CMS, { metadata: { name: 'cm-null-patch' }, data: { a: '1' } });
    const r = await raw('PATCH', `${CMS}/cm-null-patch`, 'null', { 'content-type': 'application/json-patch+json' });
    expect(r.status).toBe(200);
    expect(r.json().data).toEqual({ a: '1' });
  });

  it('writes metav1.Time fields in whole seconds, so a JSON patch test with what a Go client read back matches (virt-controller)', async () => {
    await ok('POST', PODS, { metadata: { name: 'p-secs' }, spec: { containers: [{ name: 'c', image: 'i:1' }] } });
    const frac = '2026-01-02T03:04:05.940Z';
    const pod = await ok('PATCH', `${PODS}/p-secs/status`, {
      status: {
        startTime: frac,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: frac }, { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-02T05:04:05.5+02:00' }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'i:1', imageID: '', state: { running: { startedAt: frac } } }],
      },
    }, MERGE);
    const secs = '2026-01-02T03:04:05Z';
    expect(pod.status.startTime).toBe(secs);
    expect(pod.status.conditions).toEqual([
      { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: secs },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: secs },
    ]);
    expect(pod.status.containerStatuses[0].state.running.startedAt).toBe(secs);
    const test = [{ op: 'test', path: '/status/conditions', value: pod.status.conditions }, { op: 'add', path: '/status/conditions/-', value: { type: 'kubevirt.io/virtual-machine-unpaused', status: 'True' } }];
    const r = await raw('PATCH', `${PODS}/p-secs/status`, JSON.stringify(test), { 'content-type': 'application/json-patch+json' });
    expect(r.status).toBe(200);
  });
});

describe('strategic merge patch element order', () => {
  it('puts the patched elements in the patch order and interleaves the others by their live position', async () => {
    await ok('POST', PODS, { metadata: { name: 'p-order', finalizers: ['example.com/a', 'example.com/b'] }, spec: { containers: [{ name: 'c', image: 'i:1' }] } });
    await ok('PATCH', `${PODS}/p-order/status`, { status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] } }, SMP);
    const pod = await ok('PATCH', `${PODS}/p-order/status`, { status: { conditions: [{ type: 'ContainersReady', status: 'True' }, { type: 'PodScheduled', status: 'True', reason: 'again' }] } }, SMP);
    expect(pod.status.conditions.map((c: { type: string }) => c.type)).toEqual(['ContainersReady', 'PodScheduled', 'Ready']);
    const fin = await ok('PATCH', `${PODS}/p-order`, { metadata: { finalizers: ['example.com/c', 'example.com/a'] } }, SMP);
    expect(fin.metadata.finalizers).toEqual(['example.com/c', 'example.com/a', 'example.com/b']);
    await ok('PATCH', `${PODS}/p-order`, { metadata: { finalizers: null } }, MERGE);
  });
});

describe('LIST at an older resourceVersion', () => {
  it('serves resourceVersionMatch=Exact as the objects were then, and pages from that same state', async () => {
    const a = await ok('POST', CMS, { metadata: { name: 'rv-a', labels: { set: 'rv' } }, data: { v: '1' } });
    const b = await ok('POST', CMS, { metadata: { name: 'rv-b', labels: { set: 'rv' } }, data: { v: '1' } });
    const at = b.metadata.resourceVersion;
    await ok('PUT', `${CMS}/rv-a`, { metadata: { name: 'rv-a', labels: { set: 'rv' } }, data: { v: '2' } });
    await ok('DELETE', `${CMS}/rv-b`);
    await ok('POST', CMS, { metadata: { name: 'rv-c', labels: { set: 'rv' } }, data: { v: '1' } });

    const then = await ok('GET', `${CMS}?labelSelector=set%3Drv&resourceVersion=${at}&resourceVersionMatch=Exact`);
    expect(then.metadata.resourceVersion).toBe(at);
    expect(then.items.map((i: { metadata: { name: string }; data: { v: string } }) => [i.metadata.name, i.data.v])).toEqual([['rv-a', '1'], ['rv-b', '1']]);
    const first = await ok('GET', `${CMS}?labelSelector=set%3Drv&resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    expect(names(first)).toEqual(['rv-a']);
    const now = await ok('GET', `${CMS}?labelSelector=set%3Drv`);
    expect(names(now)).toEqual(['rv-a', 'rv-c']);

    // A paginated LIST: the second page is of the first page's state, whatever changed since.
    const page1 = await ok('GET', `${CMS}?labelSelector=set%3Drv&limit=1`);
    expect(names(page1)).toEqual(['rv-a']);
    await ok('DELETE', `${CMS}/rv-c`);
    const page2 = await ok('GET', `${CMS}?labelSelector=set%3Drv&limit=1&continue=${page1.metadata.continue}`);
    expect(names(page2)).toEqual(['rv-c']);
    expect(page2.metadata.resourceVersion).toBe(page1.metadata.resourceVersion);
  });

  it('reads every page of a paginated LIST at the first page\'s state while the objects change between pages', async () => {
    for (const n of ['pg-1', 'pg-2', 'pg-3']) await ok('POST', CMS, { metadata: { name: n, labels: { set: 'pages' } }, data: { v: '1' } });
    const q = `${CMS}?labelSelector=set%3Dpages&limit=1`;
    const page1 = await ok('GET', q);
    await ok('PUT', `${CMS}/pg-2`, { metadata: { name: 'pg-2', labels: { set: 'pages' } }, data: { v: '2' } });
    const page2 = await ok('GET', `${q}&continue=${page1.metadata.continue}`);
    await ok('PUT', `${CMS}/pg-3`, { metadata: { name: 'pg-3', labels: { set: 'pages' } }, data: { v: '2' } });
    await ok('DELETE', `${CMS}/pg-1`);
    const page3 = await ok('GET', `${q}&continue=${page2.metadata.continue}`);
    const seen = (l: { items: { metadata: { name: string }; data: { v: string } }[] }) => l.items.map((i) => `${i.metadata.name}=${i.data.v}`);
    expect([...seen(page1), ...seen(page2), ...seen(page3)]).toEqual(['pg-1=1', 'pg-2=1', 'pg-3=1']);
    expect([page2.metadata.resourceVersion, page3.metadata.resourceVersion]).toEqual([page1.metadata.resourceVersion, page1.metadata.resourceVersion]);
    expect(page3.metadata.continue).toBeUndefined();
  });

  it('answers 410 Expired for an exact LIST older than the event window', async () => {
    const old = await ok('POST', CMS, { metadata: { name: 'rv-old' } });
    for (let i = 0; i < WINDOW + 5; i++) await ok('POST', CMS, { metadata: { name: `rv-fill-${i}` } });
    const r = await raw('GET', `${CMS}?resourceVersion=${old.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    expect(r.status).toBe(410);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: 'The resourceVersion for the provided list is too old.' });
  });
});
