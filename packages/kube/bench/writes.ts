// CPU cost of API writes on the client side: a Writer (concurrency 32, as the node agent runs it)
// makes N pod-status PATCHes and N Event POSTs against the embedded API server (its own process,
// over TLS), and this prints the CPU this process spent per write (user+system, from
// process.cpuUsage, so the figure holds even when other processes share the cores).
//   node_modules/.bin/node packages/kube/bench/writes.ts [--writes 3000] [--rounds 3]
import { parseArgs } from 'node:util';
import { startApiServerForTest } from '@virtsim/testkit/apiserver';
import { createLogger } from '@virtsim/telemetry';
import { EVENTS, KubeClient, PODS, Writer, collectionPath, objectPath } from '../src/index.ts';

const { values } = parseArgs({ options: { writes: { type: 'string' }, rounds: { type: 'string' }, 'ignore-event-body': { type: 'boolean' } } });
const N = Number(values.writes ?? 3000);
const ROUNDS = Number(values.rounds ?? 3);
const PODS_COUNT = 200;

const api = await startApiServerForTest();
// The harness keeps scanning the server's log for its start line, which would cost this process
// more CPU than the writes do: drain the log unread instead.
api.child?.stdout?.removeAllListeners('data').resume();
const client = await KubeClient.fromFile(api.kubeconfigPath);
const writer = new Writer(client, { concurrency: 32, log: createLogger('kube-bench') });
try {
  for (let i = 0; i < PODS_COUNT; i++) {
    await client.request({
      method: 'POST',
      path: collectionPath(PODS, 'default'),
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-${i}`, namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] } },
    });
  }
  // Impersonation headers as the agent sends them (system:masters so that RBAC lets the writes through).
  const impersonate = { user: 'system:node:n1', groups: ['system:nodes', 'system:masters'] };
  let seq = 0;
  const oneWrite = (i: number) => {
    const name = `bench-${i % PODS_COUNT}`;
    if (i % 2 === 0) {
      return writer.write({
        key: `default/${name}`,
        resource: 'pods',
        method: 'PATCH',
        path: objectPath(PODS, 'default', name, 'status'),
        body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: i % 4 === 0 ? 'True' : 'False' }] } },
        contentType: 'application/merge-patch+json',
        impersonate,
      });
    }
    const now = new Date().toISOString();
    return writer.write({
      key: `default/${name}`,
      resource: 'events',
      method: 'POST',
      path: collectionPath(EVENTS, 'default'),
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.${(seq++).toString(16)}`, namespace: 'default' },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace: 'default' },
        type: 'Normal',
        reason: 'Started',
        message: 'Started container c',
        source: { component: 'bench' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
      impersonate,
      ignoreResponseBody: values['ignore-event-body'],
    });
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = next++; i < N; i = next++) await oneWrite(i);
      }),
    );
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `round ${round}: ${N} writes in ${(wallMs / 1000).toFixed(2)} s (${(N / (wallMs / 1000)).toFixed(0)}/s); client CPU ${cpuMs.toFixed(0)} ms = ${((cpuMs * 1000) / N).toFixed(0)} µs per write (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms)`,
    );
  }
} finally {
  client.close();
  await api.stop();
}
