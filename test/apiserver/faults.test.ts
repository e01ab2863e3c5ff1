// The API fault mode (`virtsim apiserver --fault-*`): a client sees exactly the seeded faults at the
// configured rate (the `applied` ones carried out: the object is there, only the answer lost), and
// the fleet's Writer (retries), Informer (re-watch) and the agent's StageRunner still get every
// write and every event through failed writes, lost answers and cut watches, each transition once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, LOST_ANSWERS, seededRandom } from '../../services/apiserver/src/faults.ts';
import { StageRunner } from '../../services/node-agent/src/stage-runner.ts';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { Informer, KubeClient, NODES, Writer, collectionPath, type KubeObject, type ResourceRef, type WriteResult } from '@virtsim/kube';
import { parseStageText } from '@virtsim/stages';
import { createLogger } from '@virtsim/telemetry';
import { rawClient } from './raw-client.ts';

const SEED = 42;
const RATE = 0.2;
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const body = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });

let s: ApiServerHarness;

beforeAll(async () => {
  s = await startApiServerForTest({
    args: ['--fault-write-error-rate', String(RATE), '--fault-seed', String(SEED), '--fault-timeout-delay', '100ms', '--fault-watch-cut-every', '300ms'],
  });
});

afterAll(async () => {
  await s?.stop();
});

/**
 * What the server's generator says the n writes in a row get: undefined (applied and answered), a
 * fault that answers instead of applying, or `applied/504` and `applied/hangup` (applied, answer lost).
 */
function expectedFaults(n: number): (string | undefined)[] {
  const random = seededRandom(SEED);
  return Array.from({ length: n }, () => {
    if (random() >= RATE) return undefined;
    const kind = FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]!;
    return kind === 'applied' ? `applied/${LOST_ANSWERS[Math.floor(random() * LOST_ANSWERS.length)]}` : kind;
  });
}

const injected = (metrics: string, kind: string) => Number(new RegExp(`apiserver_faults_injected_total\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);

describe('API fault mode', () => {
  it('fails the seeded writes, and only those, with 429 + Retry-After, 500, 504, a hang-up or a lost answer, and counts them', async () => {
    const raw = rawClient(s.url, s.caPem, s.token);
    const answers: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await raw('POST', '/api/v1/namespaces/default/configmaps', body(`seq-${i}`), { 'content-type': 'application/json' }).catch(() => 'hangup' as const);
      if (r === 'hangup') answers.push('hangup');
      else {
        if (r.status === 429) expect(r.headers['retry-after']).toBe('1');
        if (r.status === 504) expect(r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Timeout', code: 504 });
        if (r.status !== 201) expect(r.json()).toMatchObject({ kind: 'Status', code: r.status });
        answers.push(String(r.status));
      }
    }
    // A 504 or a hang-up whose object is in the store (GET shows it) was an `applied` fault.
    const stored = new Set<string>();
    for (let i = 0; i < 200; i++) if ((await raw('GET', `/api/v1/namespaces/default/configmaps/seq-${i}`)).status === 200) stored.add(`seq-${i}`);
    const seen = answers.map((a, i) => (a === '201' ? undefined : stored.has(`seq-${i}`) ? `applied/${a}` : a));
    expect(seen).toEqual(expectedFaults(200));
    const faults = seen.filter((k) => k !== undefined).length;
    const applied = seen.filter((k) => k?.startsWith('applied/')).length;
    expect(faults / 200).toBeGreaterThan(0.1);
    expect(faults / 200).toBeLessThan(0.3);
    expect(seen).toContain('applied/504');
    expect(seen).toContain('applied/hangup');
    // A fault that answered was not applied; an `applied` one was.
    const list = (await raw('GET', '/api/v1/namespaces/default/configmaps')).json();
    expect(list.items.filter((o: { metadata: { name: string } }) => o.metadata.name.startsWith('seq-')).length).toBe(200 - faults + applied);
    const metrics = (await raw('GET', '/metrics')).text;
    for (const kind of FAULT_KINDS) {
      const want = seen.filter((k) => k === kind || (kind === 'applied' && k?.startsWith('applied/'))).length;
      expect({ kind, got: injected(metrics, kind) }).toEqual({ kind, got: want });
    }
    expect(s.logs()).toContain('"msg":"fault injected"');
    expect(s.logs()).toMatch(/"fault":"applied"[^\n]*"code":201[^\n]*"answer":"(504|hangup)"/);
    // The client's retry of a create whose answer was lost meets its own object: 409 AlreadyExists.
    for (const name of [...stored].filter((n) => answers[Number(n.slice(4))] !== '201')) {
      let r: Awaited<ReturnType<typeof raw>> | 'hangup';
      do r = await raw('POST', '/api/v1/namespaces/default/configmaps', body(name), { 'content-type': 'application/json' }).catch(() => 'hangup' as const);
      while (r === 'hangup' || r.status !== 409);
      expect(r.json()).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    }
  });

  it("lets the fleet's retrying writer and re-watching informer get every write and every event in", async () => {
    const log = createLogger('faults-test');
    log.level = 'error';
    const client = await KubeClient.fromFile(s.kubeconfigPath);
    const seen = new Set<string>();
    const informer = new Informer(client, { resource: CONFIGMAPS, log, onEvent: (_t, o) => seen.add(o.metadata.name) });
    informer.start();
    try {
      await waitFor('informer synced', () => informer.hasSynced, { timeoutMs: 10_000 });
      const writer = new Writer(client, { log, concurrency: 8 });
      const raw = rawClient(s.url, s.caPem, s.token);
      const appliedBefore = injected((await raw('GET', '/metrics')).text, 'applied');
      const names = Array.from({ length: 200 }, (_, i) => `retried-${i}`);
      const results: WriteResult[] = await Promise.all(
        names.map((name) =>
          writer.write({ key: `default/${name}`, resource: 'configmaps', method: 'POST', path: collectionPath(CONFIGMAPS, 'default'), body: JSON.parse(body(name)) }),
        ),
      );
      await waitFor('every write seen by the informer', () => names.every((n) => seen.has(n)), { timeoutMs: 30_000 });
      const metrics = (await raw('GET', '/metrics')).text;
      // Watches were cut meanwhile (the informer re-watched from its resourceVersion).
      expect(metrics).toMatch(/apiserver_faults_injected_total\{[^}]*kind="watch-cut"[^}]*\} [1-9]/);
      // A create whose answer was lost met its own object on the retry (409 AlreadyExists): taken as
      // created, not thrown. Each such create had at least one `applied` fault (a retry can get one too).
      const exists = results.filter((r) => r.outcome === 'exists').length;
      expect(results.every((r) => r.outcome === 'done' || r.outcome === 'exists')).toBe(true);
      expect(exists).toBeGreaterThan(0);
      expect(exists).toBeLessThanOrEqual(injected(metrics, 'applied') - appliedBefore);
      // Deleting them all through the same faults: a delete whose answer was lost gets 404 on the retry, 'gone'.
      const deleted = await Promise.all(names.map((name) => writer.write({ key: `default/${name}`, resource: 'configmaps', method: 'DELETE', path: `${collectionPath(CONFIGMAPS, 'default')}/${name}` })));
      expect(deleted.every((r) => r.outcome === 'done' || r.outcome === 'gone')).toBe(true);
      const left = (await raw('GET', '/api/v1/namespaces/default/configmaps')).json();
      expect(left.items.filter((o: { metadata: { name: string } }) => o.metadata.name.startsWith('retried-'))).toEqual([]);
    } finally {
      await informer.stop();
      client.close();
    }
  }, 60_000);

  it("lets the agent's StageRunner play each transition once through lost answers: one event and one patch per object", async () => {
    const log = createLogger('faults-test');
    log.level = 'error';
    const client = await KubeClient.fromFile(s.kubeconfigPath);
    const stages = parseStageText(
      `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: node-started }
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
    - { key: '.metadata.labels.started', operator: DoesNotExist }
  next:
    event: { type: Normal, reason: Started, message: node started. }
    patches:
    - type: merge
      template: '{metadata: {labels: {started: "yes"}}}'
`,
      'inline.yaml',
    );
    const writer = new Writer(client, { log, concurrency: 8 });
    const runner = new StageRunner({ stages: () => stages, writer, log, planContext: () => ({}), component: 'test' });
    const raw = rawClient(s.url, s.caPem, s.token);
    try {
      const appliedBefore = injected((await raw('GET', '/metrics')).text, 'applied');
      const names = Array.from({ length: 100 }, (_, i) => `lost-answer-${i}`);
      const created = await Promise.all(names.map((name) => writer.write({ key: name, resource: 'nodes', method: 'POST', path: collectionPath(NODES), body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } })));
      // A create taken as 'exists' has no answer: read the node, as the agent's informer would.
      const nodes = await Promise.all(names.map(async (name, i) => (created[i]!.outcome === 'done' ? (created[i]!.body as KubeObject) : await client.request<KubeObject>({ method: 'GET', path: `${collectionPath(NODES)}/${name}` }))));
      for (const node of nodes) runner.observe('Node', { ...node, apiVersion: 'v1', kind: 'Node' }, 1);
      await waitFor('every node started', async () => {
        const list = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(NODES) });
        return list.items.filter((n) => names.includes(n.metadata.name) && n.metadata.labels?.started === 'yes').length === names.length;
      }, { timeoutMs: 30_000 });
      await waitFor('runner idle', () => runner.pending === 0, { timeoutMs: 10_000 });
      // Each node's Started event once, though some event POSTs were retried after their answer was lost.
      const events = await client.request<{ items: Array<KubeObject & { involvedObject?: { name?: string }; reason?: string }> }>({ method: 'GET', path: '/api/v1/namespaces/default/events' });
      const started = new Map<string, number>();
      for (const e of events.items) if (e.reason === 'Started' && names.includes(e.involvedObject?.name ?? '')) started.set(e.involvedObject!.name!, (started.get(e.involvedObject!.name!) ?? 0) + 1);
      expect([...started.values()].filter((n) => n !== 1)).toEqual([]);
      expect(started.size).toBe(names.length);
      expect(injected((await raw('GET', '/metrics')).text, 'applied')).toBeGreaterThan(appliedBefore);
    } finally {
      await runner.stop();
      client.close();
    }
  }, 60_000);
});
