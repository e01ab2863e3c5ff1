// @kubernetes/client-node against `virtsim apiserver` (child process): pagination, watch resumed
// from a resourceVersion without loss, 410 Expired beyond the event window, 409 on a stale update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';

let s: ApiServerHarness;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let kc: KubeConfig;
let core: CoreV1Api;
const WINDOW = 40;

beforeAll(async () => {
  s = await startApiServerForTest({ args: ['--watch-cache-size', String(WINDOW), '--no-audit'] });
  kc = new KubeConfig();
  kc.loadFromFile(s.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'paging' } } });
  await Promise.all(
    Array.from({ length: 57 }, (_, i) =>
      core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: `cm-${String(i).padStart(3, '0')}`, labels: { parity: i % 2 ? 'odd' : 'even' } }, data: { i: String(i) } } }),
    ),
  );
});

afterAll(async () => {
  await s?.stop();
});

describe('client-node against virtsim apiserver', () => {
  it('lists in pages with limit and continue, every object once, in name order', async () => {
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    let rv: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 10, _continue: cont });
      pages++;
      rv ??= page.metadata?.resourceVersion;
      expect(page.metadata?.resourceVersion).toBe(rv);
      names.push(...page.items.map((c) => c.metadata!.name!));
      cont = page.metadata?._continue || undefined;
      if (cont) expect(page.metadata?.remainingItemCount).toBe(57 - names.length);
    } while (cont);
    expect(pages).toBe(6);
    expect(names).toEqual(Array.from({ length: 57 }, (_, i) => `cm-${String(i).padStart(3, '0')}`));
    const odd = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'parity in (odd),parity!=even' });
    expect(odd.items).toHaveLength(28);
  });

  it('resumes a watch from a resourceVersion without losing events', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'paging' });
    const startRv = list.metadata!.resourceVersion!;
    // changes made while nobody watches
    for (let i = 0; i < 5; i++) await core.patchNamespacedConfigMap({ namespace: 'paging', name: 'cm-000', body: { data: { n: String(i) } } }, MERGE);
    const seen: string[] = [];
    const w = new Watch(kc);
    const ctl = await w.watch('/api/v1/namespaces/paging/configmaps', { resourceVersion: startRv, allowWatchBookmarks: true }, (type, obj) => {
      if (type !== 'BOOKMARK') seen.push(`${type} ${obj.metadata.name} ${obj.data?.n ?? ''}`);
    }, () => {});
    try {
      await core.deleteNamespacedConfigMap({ namespace: 'paging', name: 'cm-001' });
      await waitFor('6 events', () => seen.length >= 6);
      expect(seen).toEqual(['MODIFIED cm-000 0', 'MODIFIED cm-000 1', 'MODIFIED cm-000 2', 'MODIFIED cm-000 3', 'MODIFIED cm-000 4', 'DELETED cm-001 ']);
    } finally {
      ctl.abort();
    }
  });

  it('answers 410 Expired to a watch from a resourceVersion older than the window', async () => {
    const old = (await core.readNamespacedConfigMap({ namespace: 'paging', name: 'cm-002' })).metadata!.resourceVersion!;
    for (let i = 0; i < WINDOW + 10; i++) await core.patchNamespacedConfigMap({ namespace: 'paging', name: 'cm-003', body: { data: { n: String(i) } } }, MERGE);
    let error: any;
    let doneErr: unknown = 'not done';
    const w = new Watch(kc);
    await w.watch('/api/v1/namespaces/paging/configmaps', { resourceVersion: old }, (type, obj) => {
      if (type === 'ERROR') error = obj;
    }, (err) => (doneErr = err));
    await waitFor('the ERROR event', () => error);
    expect(error).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(error.message).toMatch(/too old resource version/);
    await waitFor('the watch to end', () => doneErr !== 'not done');
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const cm = await core.readNamespacedConfigMap({ namespace: 'paging', name: 'cm-004' });
    await core.replaceNamespacedConfigMap({ namespace: 'paging', name: 'cm-004', body: { ...cm, data: { v: 'first' } } });
    const err: any = await core.replaceNamespacedConfigMap({ namespace: 'paging', name: 'cm-004', body: { ...cm, data: { v: 'second' } } }).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe(409);
    const status = JSON.parse(err.body);
    expect(status).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(status.message).toContain('the object has been modified; please apply your changes to the latest version and try again');
    expect((await core.readNamespacedConfigMap({ namespace: 'paging', name: 'cm-004' })).data).toEqual({ v: 'first' });
  });

  it('filters pods by spec.nodeName and status.phase field selectors, also on watch', async () => {
    const pod = (name: string, node?: string) => ({ metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x:1' }] } });
    await core.createNamespacedPod({ namespace: 'paging', body: pod('on-a', 'node-a') });
    await core.createNamespacedPod({ namespace: 'paging', body: pod('on-b', 'node-b') });
    await core.createNamespacedPod({ namespace: 'paging', body: pod('nowhere') });
    const onA = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-a' });
    expect(onA.items.map((p) => p.metadata!.name)).toEqual(['on-a']);
    const unscheduled = await core.listNamespacedPod({ namespace: 'paging', fieldSelector: 'spec.nodeName=,status.phase=Pending' });
    expect(unscheduled.items.map((p) => p.metadata!.name)).toEqual(['nowhere']);
    const seen: string[] = [];
    const ctl = await new Watch(kc).watch('/api/v1/pods', { fieldSelector: 'spec.nodeName=node-c', resourceVersion: unscheduled.metadata!.resourceVersion }, (t, o) => seen.push(`${t} ${o.metadata.name}`), () => {});
    try {
      // binding moves "nowhere" onto node-c: for this watch it appears as ADDED
      await core.createNamespacedPodBinding({ namespace: 'paging', name: 'nowhere', body: { metadata: { name: 'nowhere' }, target: { kind: 'Node', name: 'node-c' } } });
      await waitFor('the bound pod', () => seen.includes('ADDED nowhere'));
      expect((await core.readNamespacedPod({ namespace: 'paging', name: 'nowhere' })).spec?.nodeName).toBe('node-c');
    } finally {
      ctl.abort();
    }
  });
});
