// The API fault mode (`virtsim apiserver --fault-*`): a client sees exactly the seeded faults at the
// configured rate, and the fleet's Writer (retries) and Informer (re-watch) still get every write
// and every event through failed writes and cut watches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, seededRandom } from '../../services/apiserver/src/faults.ts';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { Informer, KubeClient, Writer, collectionPath, type ResourceRef } from '@virtsim/kube';
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

/** What the server's generator says the n writes in a row get: undefined (applied) or a fault. */
function expectedFaults(n: number): (string | undefined)[] {
  const random = seededRandom(SEED);
  return Array.from({ length: n }, () => (random() < RATE ? FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)] : undefined));
}

describe('API fault mode', () => {
  it('fails the seeded writes, and only those, with 429 + Retry-After, 500, 504 or a hang-up, and counts them', async () => {
    const raw = rawClient(s.url, s.caPem, s.token);
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await raw('POST', '/api/v1/namespaces/default/configmaps', body(`seq-${i}`), { 'content-type': 'application/json' }).catch(() => 'hangup' as const);
      if (r === 'hangup') seen.push('hangup');
      else if (r.status === 201) seen.push(undefined);
      else {
        if (r.status === 429) expect(r.headers['retry-after']).toBe('1');
        expect(r.json()).toMatchObject({ kind: 'Status', code: r.status });
        seen.push(String(r.status));
      }
    }
    expect(seen).toEqual(expectedFaults(200));
    const faults = seen.filter((k) => k !== undefined).length;
    expect(faults / 200).toBeGreaterThan(0.1);
    expect(faults / 200).toBeLessThan(0.3);
    // A failed write was not applied.
    const list = (await raw('GET', '/api/v1/namespaces/default/configmaps')).json();
    expect(list.items.filter((o: { metadata: { name: string } }) => o.metadata.name.startsWith('seq-')).length).toBe(200 - faults);
    const metrics = (await raw('GET', '/metrics')).text;
    for (const kind of FAULT_KINDS) {
      const want = seen.filter((k) => k === kind).length;
      const got = Number(new RegExp(`apiserver_faults_injected_total\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
      expect({ kind, got }).toEqual({ kind, got: want });
    }
    expect(s.logs()).toContain('"msg":"fault injected"');
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
      const names = Array.from({ length: 120 }, (_, i) => `retried-${i}`);
      await Promise.all(
        names.map((name) =>
          writer.write({ key: `default/${name}`, resource: 'configmaps', method: 'POST', path: collectionPath(CONFIGMAPS, 'default'), body: JSON.parse(body(name)) }),
        ),
      );
      await waitFor('every write seen by the informer', () => names.every((n) => seen.has(n)), { timeoutMs: 30_000 });
      const metrics = (await rawClient(s.url, s.caPem, s.token)('GET', '/metrics')).text;
      // Watches were cut meanwhile (the informer re-watched from its resourceVersion).
      expect(metrics).toMatch(/apiserver_faults_injected_total\{[^}]*kind="watch-cut"[^}]*\} [1-9]/);
    } finally {
      await informer.stop();
      client.close();
    }
  }, 60_000);
});
