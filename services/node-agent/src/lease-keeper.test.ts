import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { KubeClient, LEASES, Writer, collectionPath, type KubeObject } from '@virtsim/kube';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { LeaseKeeper } from './lease-keeper.ts';

const NODES = Array.from({ length: 40 }, (_, i) => `node-${i}`);
// 4 s Leases: renewed every second, so two renewals of each fit in a few seconds of test.
const DURATION_S = 4;
const INTERVAL_MS = (DURATION_S * 1000) / 4;

describe('LeaseKeeper against a real API server', () => {
  let api: ApiServerHarness;
  let client: KubeClient;
  let keeper: LeaseKeeper;

  beforeAll(async () => {
    api = await startApiServerForTest({ inProcess: true });
    client = await KubeClient.fromFile(api.kubeconfigPath);
    await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-node-lease' } } }).catch(() => undefined);
    const log = pino({ level: 'silent' });
    keeper = new LeaseKeeper({ client, writer: new Writer(client, { log }), identity: 'agent-test', log, durationSeconds: DURATION_S });
  });

  afterAll(async () => {
    await keeper?.stop(false);
    client?.close();
    await api?.stop();
  });

  it('renews the Leases of nodes taken at once out of phase, each within one interval of the last', async () => {
    const firstRenewal = new Map<string, number>();
    const acquired = new Map<string, number>();
    keeper.own(NODES);
    // Each Lease's acquire time, then the first renewTime after it, as the server stores them.
    await waitFor(
      'every Lease acquired and renewed once',
      async () => {
        const list = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(LEASES, 'kube-node-lease') });
        for (const l of list.items) {
          const name = l.metadata.name;
          const acquire = Date.parse(l.spec.acquireTime);
          const renew = Date.parse(l.spec.renewTime);
          acquired.set(name, acquire);
          if (renew > acquire && !firstRenewal.has(name)) firstRenewal.set(name, renew - acquire);
        }
        return firstRenewal.size === NODES.length;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    const offsets = [...firstRenewal.values()];
    // Never later than the kubelet's interval (plus its 4 % jitter, the 100 ms timer slots and
    // some event-loop lag on a busy machine)...
    expect(Math.max(...offsets)).toBeLessThanOrEqual(INTERVAL_MS * 1.04 + 500);
    // ...and spread over it: in step, 40 renewals would all land within the 4 % jitter (±40 ms).
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(INTERVAL_MS / 2);
  });
});
