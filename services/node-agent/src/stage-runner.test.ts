import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { KubeClient, NODES, Writer, collectionPath, type KubeObject } from '@virtsim/kube';
import { parseStageText } from '@virtsim/stages';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { stageEventName } from './request-executor.ts';
import { StageRunner } from './stage-runner.ts';

const STAGES = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: node-label }
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
    - { key: '.metadata.labels.ok', operator: DoesNotExist }
    - { key: '.metadata.labels.broken', operator: DoesNotExist }
  next:
    patches:
    - type: merge
      template: '{metadata: {labels: {ok: "yes"}}}'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: node-broken }
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
    - { key: '.metadata.labels.broken', operator: Exists }
  next:
    patches:
    - type: merge
      template: '{{ index .spec.missing 3 }}'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: node-started }
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
    - { key: '.metadata.labels.ok', operator: Exists }
    - { key: '.metadata.labels.started', operator: DoesNotExist }
  next:
    event: { type: Normal, reason: Started, message: node started. }
    patches:
    - type: merge
      template: '{metadata: {labels: {started: "yes"}}}'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: pod-started }
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
    - { key: '.metadata.labels.started', operator: DoesNotExist }
  next:
    event: { type: Normal, reason: Started, message: pod started. }
    patches:
    - type: merge
      template: '{metadata: {labels: {started: "yes"}}}'
`;

describe('StageRunner against a real API server', () => {
  let api: ApiServerHarness;
  let client: KubeClient;
  let runner: StageRunner;
  const registry = new Registry();
  const metric = async (name: string, labels: Record<string, string>, reg = registry) => {
    const m = (await reg.getSingleMetric(name)?.get())?.values ?? [];
    return m.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
  };
  const createNode = async (name: string, labels: Record<string, string> = {}) =>
    client.request<KubeObject>({ method: 'POST', path: collectionPath(NODES), body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } } });
  const getNode = (name: string) => client.request<KubeObject>({ method: 'GET', path: `${collectionPath(NODES)}/${name}` });

  beforeAll(async () => {
    api = await startApiServerForTest({ inProcess: true });
    client = await KubeClient.fromFile(api.kubeconfigPath);
    const log = pino({ level: 'silent' });
    const stages = parseStageText(STAGES, 'inline.yaml');
    runner = new StageRunner({ stages: () => stages, writer: new Writer(client, { log, registry }), log, registry, planContext: () => ({}), component: 'test' });
  });
  afterAll(async () => {
    await runner?.stop();
    client?.close();
    await api?.stop();
  });

  it('writes the planned patch and plans again from the answer, which matches nothing', async () => {
    const node = await createNode('n1');
    runner.observe('Node', { ...node, apiVersion: 'v1', kind: 'Node' }, 1);
    await waitFor('label written', async () => (await getNode('n1')).metadata.labels?.ok === 'yes');
    await waitFor('transition counted', async () => (await metric('virtsim_agent_transitions_total', { stage: 'node-label' })) === 1);
    expect(runner.pending).toBe(0);
  });

  it('replaying a plan records its event once and still applies its patch (the event name comes from the planned version)', async () => {
    const node = await createNode('n-replayed', { ok: 'yes' });
    // What an earlier play of this same plan left (e.g. an owner that lost the slot before its patch).
    const name = stageEventName('n-replayed', node.metadata.uid, node.metadata.resourceVersion, 'Started', 'node started.');
    await client.request({ method: 'POST', path: '/api/v1/namespaces/default/events', body: { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n-replayed' }, reason: 'Started', message: 'node started.', type: 'Normal' } });
    runner.observe('Node', { ...node, apiVersion: 'v1', kind: 'Node' }, 1);
    await waitFor('patch applied after the event answered 409', async () => (await getNode('n-replayed')).metadata.labels?.started === 'yes');
    const events = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/namespaces/default/events' });
    expect(events.items.filter((e) => e.metadata.name.startsWith('n-replayed.')).map((e) => e.metadata.name)).toEqual([name]);
  });

  it('counts a stage that fails to render once per version and does not retry it in a loop', async () => {
    const node = await createNode('n2', { broken: 'true' });
    runner.observe('Node', { ...node, apiVersion: 'v1', kind: 'Node' }, 2);
    await waitFor('render failure counted', async () => (await metric('virtsim_agent_transition_failures_total', { reason: 'render' })) === 1);
    expect(runner.pending).toBe(0);
    // A newer version of the object gets one more attempt.
    const newer = await client.request<KubeObject>({
      method: 'PATCH',
      path: `${collectionPath(NODES)}/n2`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { touched: 'yes' } } },
    });
    runner.observe('Node', { ...newer, apiVersion: 'v1', kind: 'Node' }, 2);
    await waitFor('second render failure counted', async () => (await metric('virtsim_agent_transition_failures_total', { reason: 'render' })) === 2);
    expect(runner.pending).toBe(0);
  });

  it('gives back a resting object whole, and plays its next version', async () => {
    // Labelled already: no stage matches, so the runner keeps it as text until it changes.
    const node = await createNode('n-rest', { ok: 'yes', started: 'yes' });
    const observed = { ...node, apiVersion: 'v1', kind: 'Node' };
    runner.observe('Node', observed, 5);
    expect(runner.pending).toBe(0);
    expect(runner.get('Node', 'n-rest')).toEqual(observed);
    const newer = await client.request<KubeObject>({
      method: 'PATCH',
      path: `${collectionPath(NODES)}/n-rest`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { started: null } } },
    });
    runner.observe('Node', { ...newer, apiVersion: 'v1', kind: 'Node' }, 5);
    await waitFor('node-started played on the newer version', async () => (await getNode('n-rest')).metadata.labels?.started === 'yes');
    await waitFor('the write answer kept', () => runner.get('Node', 'n-rest')?.metadata.labels?.started === 'yes');
    expect(runner.get('Node', 'n-rest')?.metadata.resourceVersion).toBe((await getNode('n-rest')).metadata.resourceVersion);
  });

  it('skips a patch that would change nothing', async () => {
    const node = await createNode('n3', { ok: 'yes' });
    // Only the labelling stage, matching n3 although n3 has the label already. (With the whole set,
    // node-started matched n3 too and, picked at random between equal weights, really wrote it.)
    const labelOnly = STAGES.split('\n---\n')[0]!.replace("'.metadata.labels.ok', operator: DoesNotExist", "'.metadata.name', operator: In, values: [n3]");
    const stages = parseStageText(labelOnly, 'inline.yaml');
    const log = pino({ level: 'silent' });
    const reg = new Registry();
    const r = new StageRunner({ stages: () => stages, writer: new Writer(client, { log }), log, registry: reg, planContext: () => ({}), component: 'test' });
    r.observe('Node', { ...node, apiVersion: 'v1', kind: 'Node' }, 3);
    await waitFor('no-op counted', async () => (await metric('virtsim_agent_noop_writes_skipped_total', { kind: 'Node' }, reg)) === 1);
    expect((await getNode('n3')).metadata.resourceVersion).toBe(node.metadata.resourceVersion);
    expect(r.pending).toBe(0);
    await r.stop();
  });

  it('goes on past an Event its namespace refuses while being deleted, counting it without a warning', async () => {
    await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ending' } } });
    // The finalizer keeps the pod, and with it the namespace, in Terminating.
    await client.request<KubeObject>({
      method: 'POST',
      path: '/api/v1/namespaces/ending/pods',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', finalizers: ['virtsim.io/test'] }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    });
    await client.request({ method: 'DELETE', path: '/api/v1/namespaces/ending' });
    await waitFor('namespace terminating', async () => (await client.request<KubeObject>({ method: 'GET', path: '/api/v1/namespaces/ending' })).status?.phase === 'Terminating');
    const getPod = () => client.request<KubeObject>({ method: 'GET', path: '/api/v1/namespaces/ending/pods/p1' });
    // The version the agent plays is the one the namespace's deletion left (its patch carries that resourceVersion).
    await waitFor('pod being deleted', async () => (await getPod()).metadata.deletionTimestamp !== undefined);
    const pod = await getPod();
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const log = pino({ level: 'debug' }, sink);
    const reg = new Registry();
    const stages = parseStageText(STAGES, 'inline.yaml');
    const r = new StageRunner({ stages: () => stages, writer: new Writer(client, { log }), log, registry: reg, planContext: () => ({}), component: 'test' });
    r.observe('Pod', { ...pod, apiVersion: 'v1', kind: 'Pod' }, 4);
    await waitFor('patch applied after the refused event', async () => (await getPod()).metadata.labels?.started === 'yes');
    expect(await metric('virtsim_agent_transition_failures_total', { kind: 'Pod', reason: 'namespace_terminating' }, reg)).toBe(1);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('event refused: its namespace is being terminated');
    await r.stop();
    await client.request({ method: 'PATCH', path: '/api/v1/namespaces/ending/pods/p1', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
  });
});
