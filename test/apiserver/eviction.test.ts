// The eviction subresource as users meet it: `kubectl drain` emptying and cordoning a node
// (with a stand-in kubelet finishing the pods it terminates), PodDisruptionBudgets blocking and
// allowing evictions with kube-apiserver's answers, dry runs, and RBAC on pods/eviction alone.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient, type RawResponse } from './raw-client.ts';

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
const NS = 'evict';
const JSON_CT = { 'content-type': 'application/json' };
const MERGE_CT = { 'content-type': 'application/merge-patch+json' };
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

async function ok(res: Promise<RawResponse>): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${r.text}`);
  return r.json();
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => raw('POST', path, JSON.stringify(body), { ...JSON_CT, ...headers });

async function node(name: string): Promise<void> {
  await ok(post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } }));
}

interface PodOpts {
  node: string;
  labels?: Record<string, string>;
  /** Bind through pods/binding (as the scheduler does) instead of spec.nodeName. */
  bind?: boolean;
  ready?: boolean;
  phase?: string;
  emptyDir?: boolean;
  owner?: { kind: string; name: string; uid: string; apiVersion: string };
}

/** A pod on a node, its status as a kubelet would report it (Running and Ready unless told). */
async function pod(name: string, o: PodOpts): Promise<any> {
  const spec: any = { containers: [{ name: 'c', image: 'busybox' }], ...(o.bind ? {} : { nodeName: o.node }) };
  if (o.emptyDir) spec.volumes = [{ name: 'scratch', emptyDir: {} }];
  const metadata: any = { name, namespace: NS, labels: o.labels ?? {} };
  if (o.owner) metadata.ownerReferences = [{ ...o.owner, controller: true }];
  await ok(post(`/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata, spec }));
  if (o.bind) {
    const b = await post(`/api/v1/namespaces/${NS}/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: o.node } });
    expect(b.status).toBe(201);
  }
  const ready = o.ready ?? true;
  const status = { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  return ok(raw('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, JSON.stringify({ status }), MERGE_CT));
}

/** A budget with the status a disruption controller would have written (this server runs none). */
async function pdb(name: string, labels: Record<string, string>, status?: Record<string, unknown>): Promise<void> {
  const created = await ok(post(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: labels } } }));
  if (status) await setPdbStatus(name, { observedGeneration: created.metadata.generation, ...status });
}

async function setPdbStatus(name: string, status: Record<string, unknown>): Promise<void> {
  await ok(raw('PATCH', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}/status`, JSON.stringify({ status }), MERGE_CT));
}

const getPdb = (name: string) => ok(raw('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}`));

function evict(name: string, body: Record<string, unknown> = {}, query = '', headers: Record<string, string> = {}): Promise<RawResponse> {
  return post(`/api/v1/namespaces/${NS}/pods/${name}/eviction${query}`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS }, ...body }, headers);
}

async function exists(name: string): Promise<boolean> {
  return (await raw('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).status === 200;
}

/**
 * A stand-in kubelet for one node: when a pod there is terminating (deletionTimestamp set), its
 * containers are taken as stopped and the pod is deleted for good (grace 0), as the kubelet does.
 */
function kubelet(nodeName: string): () => void {
  const u = new URL(s.url);
  const req = request({ host: u.hostname, port: u.port, method: 'GET', path: `/api/v1/pods?watch=true&fieldSelector=${encodeURIComponent(`spec.nodeName=${nodeName}`)}`, ca: s.caPem, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        const ev = JSON.parse(line);
        const md = ev.object?.metadata;
        if (ev.type !== 'DELETED' && md?.deletionTimestamp)
          void raw('DELETE', `/api/v1/namespaces/${md.namespace}/pods/${md.name}`, JSON.stringify({ gracePeriodSeconds: 0 }), JSON_CT);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

beforeAll(async () => {
  s = await startApiServerForTest();
  raw = rawClient(s.url, s.caPem, s.token);
  await ok(post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
});

afterAll(async () => {
  await s?.stop();
});

describe('pods/eviction', () => {
  it('evicts a pod with no budget: 201 Success, DisruptionTarget condition, the grace period from the body', async () => {
    await node('n-single');
    await pod('single', { node: 'n-single' });
    const r = await evict('single', { deleteOptions: { gracePeriodSeconds: 5 } });
    expect(r.status).toBe(201);
    expect(r.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    // On a node the pod terminates gracefully: it waits for its kubelet with the grace period asked.
    const p = await ok(raw('GET', `/api/v1/namespaces/${NS}/pods/single`));
    expect(p.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(p.metadata.deletionTimestamp).toBeTruthy();
    expect(p.status.conditions).toContainEqual({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: expect.any(String), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
  });

  it('answers as kube-apiserver: missing pod 404, name mismatch 400, GET 405, preconditions 409', async () => {
    const missing = await evict('nope');
    expect([missing.status, missing.json().message]).toEqual([404, 'pods "nope" not found']);
    await pod('checked', { node: 'n-single' });
    const mismatch = await post(`/api/v1/namespaces/${NS}/pods/checked/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
    expect([mismatch.status, mismatch.json().message]).toEqual([400, 'name in URL does not match name in Eviction object']);
    expect((await raw('GET', `/api/v1/namespaces/${NS}/pods/checked/eviction`)).status).toBe(405);
    const uid = await evict('checked', { deleteOptions: { preconditions: { uid: 'not-the-uid' } } });
    expect(uid.status).toBe(409);
    expect(uid.json().message).toMatch(/^Operation cannot be fulfilled on Pod "checked": the UID in the precondition \(not-the-uid\) does not match the UID in record/);
    expect(await exists('checked')).toBe(true);
    // policy/v1beta1 bodies are accepted too.
    const v1beta1 = await post(`/api/v1/namespaces/${NS}/pods/checked/eviction`, { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'checked' }, deleteOptions: { gracePeriodSeconds: 0 } });
    expect(v1beta1.status).toBe(201);
    expect(await exists('checked')).toBe(false);
  });

  it('a budget with no disruption left refuses with 429 and the DisruptionBudget cause; the pod stays', async () => {
    await node('n-blocked');
    await pod('blocked', { node: 'n-blocked', labels: { app: 'blocked' } });
    await pdb('blocked', { app: 'blocked' }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const r = await evict('blocked');
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(r.json()).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: VIOLATION, reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget blocked needs 1 healthy pods and has 1 currently' }] },
      code: 429,
    });
    expect(await exists('blocked')).toBe(true);
  });

  it('a budget allowing one disruption lets one eviction through and records it in its status', async () => {
    await node('n-one');
    await pod('one-a', { node: 'n-one', labels: { app: 'one' } });
    await pod('one-b', { node: 'n-one', labels: { app: 'one' } });
    await pdb('one', { app: 'one' }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    expect((await evict('one-a')).status).toBe(201);
    const b = await getPdb('one');
    expect(b.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(b.status.disruptedPods)).toEqual(['one-a']);
    expect(b.status.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }));
    const second = await evict('one-b');
    expect(second.status).toBe(429);
    expect(second.json().details.causes[0].message).toBe('The disruption budget one needs 1 healthy pods and has 2 currently');
  });

  it('a budget its controller has not observed yet refuses with 429 and Retry-After', async () => {
    await node('n-new');
    await pod('fresh', { node: 'n-new', labels: { app: 'fresh' } });
    await pdb('fresh', { app: 'fresh' });
    const r = await evict('fresh');
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('10');
    expect(r.json().details).toEqual({ causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget fresh is still being processed by the server.' }], retryAfterSeconds: 10 });
  });

  it('two budgets covering one pod: 500 with kube-apiserver\'s wording', async () => {
    await pod('twice', { node: 'n-new', labels: { app: 'twice', tier: 'x' } });
    await pdb('twice-app', { app: 'twice' }, { disruptionsAllowed: 1 });
    await pdb('twice-tier', { tier: 'x' }, { disruptionsAllowed: 1 });
    const r = await evict('twice');
    expect(r.status).toBe(500);
    expect(r.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
    expect(await exists('twice')).toBe(true);
  });

  it('pending, terminal and unready-but-healthy pods skip the budget', async () => {
    await pod('pending', { node: 'n-new', labels: { app: 'skip' }, phase: 'Pending', ready: false });
    await pod('done', { node: 'n-new', labels: { app: 'skip' }, phase: 'Succeeded', ready: false });
    await pod('unready', { node: 'n-new', labels: { app: 'skip' }, ready: false });
    await pdb('skip', { app: 'skip' }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
    for (const name of ['pending', 'done', 'unready']) expect((await evict(name)).status).toBe(201);
    expect((await getPdb('skip')).status.disruptionsAllowed).toBe(0);
    expect(await exists('done')).toBe(false); // a terminal pod goes at once, on a node or not
  });

  it('dryRun (query or body) evicts nothing and spends nothing', async () => {
    await pod('dry', { node: 'n-new', labels: { app: 'dry' } });
    await pdb('dry', { app: 'dry' }, { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0 });
    expect((await evict('dry', {}, '?dryRun=All')).status).toBe(201);
    expect((await evict('dry', { deleteOptions: { dryRun: ['All'] } })).status).toBe(201);
    const p = await ok(raw('GET', `/api/v1/namespaces/${NS}/pods/dry`));
    expect(p.metadata.deletionTimestamp).toBeUndefined();
    expect(p.status.conditions.map((c: any) => c.type)).toEqual(['Ready']);
    const b = await getPdb('dry');
    expect(b.status.disruptionsAllowed).toBe(1);
    expect(b.status.disruptedPods).toBeUndefined();
  });

  it('RBAC: create pods/eviction suffices, delete pods is not needed', async () => {
    await ok(post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'evictor' }, rules: [{ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] }] }));
    await ok(post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'evictor' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'evictor' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'evictor' }] }));
    await pod('by-rbac', { node: 'n-new' });
    await pod('by-rbac-2', { node: 'n-new' });
    const as = { 'impersonate-user': 'evictor' };
    await waitFor('the evictor may evict', async () => (await evict('by-rbac', { deleteOptions: { gracePeriodSeconds: 0 } }, '', as)).status === 201);
    expect(await exists('by-rbac')).toBe(false);
    const del = await raw('DELETE', `/api/v1/namespaces/${NS}/pods/by-rbac-2`, undefined, as);
    expect(del.status).toBe(403);
    expect((await raw('POST', `/api/v1/namespaces/${NS}/pods/by-rbac-2/eviction`, JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'by-rbac-2' } }), { ...JSON_CT, 'impersonate-user': 'someone-else' })).status).toBe(403);
  });
});

describe('kubectl drain', () => {
  it('cordons the node and evicts its pods, leaving DaemonSet pods', async () => {
    await node('n-drain');
    const ds = await ok(post(`/apis/apps/v1/namespaces/${NS}/daemonsets`, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }));
    await pod('agent-x', { node: 'n-drain', labels: { app: 'agent' }, owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid } });
    await pod('bound', { node: 'n-drain', bind: true });
    await pod('scratch', { node: 'n-drain', emptyDir: true });
    await pod('plain', { node: 'n-drain' });
    const stop = kubelet('n-drain');
    try {
      const r = await s.kubectl(['drain', 'n-drain', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=60s', '-v=8'], { timeoutMs: 90_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('node/n-drain cordoned');
      for (const p of ['bound', 'scratch', 'plain']) expect(r.stdout).toContain(`pod/${p} evicted`);
      expect(r.stdout).toContain('node/n-drain drained');
      // Through the eviction subresource, not plain deletes (kubectl 1.32 posts policy/v1 Evictions as JSON).
      expect(r.stderr).toMatch(/POST https:\/\/[^ ]+\/api\/v1\/namespaces\/evict\/pods\/plain\/eviction/);
      expect(r.stderr).not.toMatch(/DELETE https:\/\/[^ ]+\/pods\/plain/);
    } finally {
      stop();
    }
    const n = await ok(raw('GET', '/api/v1/nodes/n-drain'));
    expect(n.spec.unschedulable).toBe(true);
    const left = await ok(raw('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=n-drain')}`));
    expect(left.items.map((p: any) => p.metadata.name)).toEqual(['agent-x']);
  });

  it('reports a budget that blocks, retries, and finishes once the budget allows', async () => {
    await node('n-guarded');
    await pod('guarded', { node: 'n-guarded', labels: { app: 'guarded' } });
    await pdb('guarded', { app: 'guarded' }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const stop = kubelet('n-guarded');
    const child = s.spawnKubectl(['drain', 'n-guarded', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=60s']);
    let out = '';
    child.stdout?.on('data', (c) => (out += String(c)));
    child.stderr?.on('data', (c) => (out += String(c)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('drain reports the budget', async () => out.includes(`error when evicting pods/"guarded" -n "${NS}" (will retry after 5s): ${VIOLATION}`), { timeoutMs: 30_000 });
      expect(await exists('guarded')).toBe(true);
      // What the README tells users to do without a disruption controller.
      const patched = await s.kubectl(['patch', 'pdb', 'guarded', '-n', NS, '--subresource=status', '--type=merge', '-p', '{"status":{"disruptionsAllowed":1}}']);
      expect(patched.code, patched.stderr).toBe(0);
      expect(await exited, out).toBe(0);
      expect(out).toContain('node/n-guarded drained');
    } finally {
      stop();
      child.kill();
    }
    expect(await exists('guarded')).toBe(false);
    const b = await getPdb('guarded');
    expect(b.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(b.status.disruptedPods)).toEqual(['guarded']);
  });
});
