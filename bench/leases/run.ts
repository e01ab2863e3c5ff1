// Node Lease renewals, nearly all of an idle fleet's requests (1,000 a second at 10,000 nodes): the agents' own LeaseKeeper renews --leases Leases in the embedded API server (a child process, fsync on, virt-api's webhook configuration registered as `virtsim up` has it) at the kubelet's pace, and the CPU each side spends per renewal is printed.
//   node_modules/.bin/node bench/leases/run.ts [--leases 5000] [--lease-duration-seconds 40] [--seconds 30] [--settle-seconds 15] [--rounds 1]
// One agent holds 5,000 Leases in a 10,000-node fleet of two agents: the default is one agent's share,
// 500 renewals a second. Figures are CPU time (user + system) over the window, so a busy machine
// shows up as fewer renewals, not as more CPU per renewal.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { KubeClient, Writer } from '@virtsim/kube';
import { startApiServerForTest } from '@virtsim/testkit/apiserver';
import { createLogger } from '@virtsim/telemetry';
import { LeaseKeeper } from '../../services/node-agent/src/lease-keeper.ts';

const { values } = parseArgs({
  options: {
    leases: { type: 'string', default: '5000' },
    'lease-duration-seconds': { type: 'string', default: '40' },
    seconds: { type: 'string', default: '30' },
    'settle-seconds': { type: 'string', default: '15' },
    rounds: { type: 'string', default: '1' },
  },
});
const LEASES = Number(values.leases);
const DURATION = Number(values['lease-duration-seconds']);
const SECONDS = Number(values.seconds);
const log = createLogger('bench-leases');
log.level = 'warn';

/** CPU seconds (user + system) of a process, from /proc: the server is a child process. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const server = await startApiServerForTest();
try {
  const client = await KubeClient.fromFile(server.kubeconfigPath, { userAgent: 'virtsim-agent' });
  // `virtsim up` always has virt-api's eviction webhook registered (Lease renewals are not sent to it).
  const evictionWebhook = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'virt-api-eviction-bench' },
    webhooks: [
      {
        name: 'virt-launcher-eviction-interceptor.kubevirt.io',
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Ignore',
        sideEffects: 'NoneOnDryRun',
        rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }],
        clientConfig: { url: 'https://127.0.0.1:1/eviction' },
      },
    ],
  };
  await client.request({ method: 'POST', path: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', body: evictionWebhook });
  const registry = new Registry();
  // Aborted at the end: renewals in flight then stop instead of retrying against a closed client.
  const shutdown = new AbortController();
  const writer = new Writer(client, { log, registry, concurrency: 64, signal: shutdown.signal });
  const keeper = new LeaseKeeper({ client, writer, identity: 'bench-agent', log, registry, durationSeconds: DURATION });
  keeper.own(Array.from({ length: LEASES }, (_, i) => `bench-node-${String(i).padStart(5, '0')}`));
  const renewals = async () => {
    const text = await registry.getSingleMetricAsString('virtsim_api_write_duration_seconds').catch(() => '');
    let n = 0;
    for (const line of text.split('\n')) if (line.startsWith('virtsim_api_write_duration_seconds_count') && line.includes('verb="put"')) n += Number(line.split(' ').pop());
    return n;
  };
  const deadline = Date.now() + 60_000;
  while (keeper.heldCount < LEASES) {
    if (Date.now() > deadline) throw new Error(`only ${keeper.heldCount} of ${LEASES} Leases held after 60 s`);
    await sleep(200);
  }
  // Past the first round, whose renewals are spread over one interval.
  await sleep(Number(values['settle-seconds']) * 1000);
  console.log(`leases: ${LEASES} Leases of ${DURATION} s (renewed every ${DURATION / 4} s), ${SECONDS} s windows, server pid ${server.child!.pid}`);
  for (let round = 0; round < Number(values.rounds); round++) {
    const s0 = cpuSecondsOf(server.child!.pid!);
    const c0 = process.cpuUsage();
    const r0 = await renewals();
    await sleep(SECONDS * 1000);
    const r1 = await renewals();
    const c = process.cpuUsage(c0);
    const serverCpu = cpuSecondsOf(server.child!.pid!) - s0;
    const clientCpu = (c.user + c.system) / 1e6;
    const n = r1 - r0;
    console.log(
      `  ${(n / SECONDS).toFixed(0)} renewals/s | server ${serverCpu.toFixed(2)} CPU-s, ${((serverCpu / n) * 1e6).toFixed(0)} µs per renewal | ` +
        `client (LeaseKeeper, Writer, KubeClient) ${clientCpu.toFixed(2)} CPU-s, ${((clientCpu / n) * 1e6).toFixed(0)} µs per renewal`,
    );
  }
  log.level = 'error'; // (the renewals cut short below say so at warn level)
  await keeper.stop(false);
  shutdown.abort();
  client.close();
} finally {
  await server.stop();
}
