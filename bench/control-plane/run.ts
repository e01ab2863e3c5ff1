// Control-plane stand-ins benchmark, real processes on loopback:
//  1. scheduler: pods created while no scheduler runs, then `virtsim control-plane --only scheduler`
//     starts; binds/s from "controllers started" to the last bind (its own counter, checked by LIST).
//  2. VMIs: the whole fleet (API server, NATS, coordinator, watcher, agents playing kubelet and
//     virt-handler) plus all stand-ins; VMIs created at once, rate of VMIs reaching Scheduled
//     (and Running) as seen on a watch.
//   node_modules/.bin/node bench/control-plane/run.ts [--nodes 100] [--pods 5000] [--vmis 1000] [--agents 2]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeClient, NODES, PODS, VMIS, collectionPath, type KubeObject } from '@virtsim/kube';
import { startApiServerForTest } from '@virtsim/testkit/apiserver';
import { startVirtsim } from '@virtsim/testkit/service-process';
import { waitFor } from '@virtsim/testkit/wait';
import { Semaphore } from '@virtsim/kube';
import { startFleet, listNodes, metricSum } from '../../test/fleet/harness.ts';

const scrape = async (base: string): Promise<string> => (await fetch(`${base}/metrics`)).text();

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    pods: { type: 'string', default: '5000' },
    vmis: { type: 'string', default: '1000' },
    agents: { type: 'string', default: '2' },
    skip: { type: 'string', default: '' },
  },
});
const NODE_COUNT = Number(values.nodes);
const POD_COUNT = Number(values.pods);
const VMI_COUNT = Number(values.vmis);
const AGENTS = Number(values.agents);
const skip = new Set(values.skip!.split(','));

function line(label: string, value: string) {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

async function createAll(client: KubeClient, n: number, path: string, body: (i: number) => unknown): Promise<number> {
  const sem = new Semaphore(64);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await sem.acquire();
      try {
        await client.request({ method: 'POST', path, body: body(i) });
      } finally {
        sem.release();
      }
    }),
  );
  return performance.now() - t0;
}

const readyNode = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `bench-node-${String(i).padStart(5, '0')}`, labels: { 'kubevirt.io/schedulable': 'true', 'kubernetes.io/arch': 'amd64' } },
  status: {
    allocatable: { cpu: '32', memory: '256Gi', pods: '110', 'devices.kubevirt.io/kvm': '1k', 'devices.kubevirt.io/tun': '1k', 'devices.kubevirt.io/vhost-net': '1k' },
    capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench' }],
  },
});

async function benchScheduler(): Promise<void> {
  process.stdout.write(`\n# scheduler: ${POD_COUNT} pending pods, ${NODE_COUNT} nodes\n`);
  const api = await startApiServerForTest();
  const client = await KubeClient.fromFile(api.kubeconfigPath);
  try {
    for (let i = 0; i < NODE_COUNT; i++) {
      const n = await client.request<KubeObject>({ method: 'POST', path: collectionPath(NODES), body: readyNode(i) });
      await client.request({ method: 'PATCH', path: `${collectionPath(NODES)}/${n.metadata.name}/status`, contentType: 'application/merge-patch+json', body: { status: readyNode(i).status } });
    }
    const perNodeCapacity = 110;
    if (POD_COUNT > NODE_COUNT * perNodeCapacity) throw new Error(`--pods ${POD_COUNT} exceeds ${NODE_COUNT} nodes x 110 pods`);
    const ms = await createAll(client, POD_COUNT, collectionPath(PODS, 'default'), (i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `bench-pod-${i}`, namespace: 'default' },
      spec: {
        nodeSelector: { 'kubevirt.io/schedulable': 'true' },
        containers: [{ name: 'compute', image: 'x', resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { 'devices.kubevirt.io/kvm': '1' } } }],
      },
    }));
    line('pods created (64 in flight)', `${(POD_COUNT / (ms / 1000)).toFixed(0)} /s`);
    const cp = await startVirtsim(
      'control-plane',
      ['control-plane', '--kubeconfig', api.kubeconfigPath, '--only', 'scheduler'],
      (r) => (r.msg === 'control-plane started' ? r.metrics : undefined),
      { logFile: join(api.dir, 'control-plane.log'), env: process.env.CP_PROF ? { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=' + process.env.CP_PROF } : {} },
    );
    try {
      const started = await waitFor('controllers started', () => cp.records.find((r) => r.msg === 'controllers started'), { timeoutMs: 30_000 });
      const startedAt = Date.parse(String(started.time));
      await waitFor(`${POD_COUNT} binds`, async () => metricSum(await scrape(String(cp.readyValue)), 'virtsim_scheduler_binds_total') >= POD_COUNT, { timeoutMs: 120_000, intervalMs: 200 });
      const doneAt = Date.now();
      const list = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(PODS), query: { fieldSelector: 'spec.nodeName!=' } });
      const perNode = new Map<string, number>();
      for (const p of list.items) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
      const counts = [...perNode.values()];
      line('binds/s (start of scheduling to last bind)', `${(POD_COUNT / ((doneAt - startedAt) / 1000)).toFixed(0)} /s`);
      line('pods bound (LIST)', `${list.items.length} of ${POD_COUNT}`);
      line('pods per node min / max (least-allocated spread)', `${Math.min(...counts)} / ${Math.max(...counts)} on ${perNode.size} nodes`);
      const m = await scrape(String(cp.readyValue));
      const attempts = metricSum(m, 'virtsim_scheduler_attempt_duration_seconds_count');
      const attemptSum = metricSum(m, 'virtsim_scheduler_attempt_duration_seconds_sum');
      line('filter+score time per pod (mean)', `${((attemptSum / attempts) * 1e6).toFixed(1)} us`);
      const cpu = metricSum(m, 'process_cpu_seconds_total');
      line('control-plane CPU per bind (incl. list, watch, writes)', `${((cpu / POD_COUNT) * 1e3).toFixed(3)} ms => ${(POD_COUNT / cpu).toFixed(0)} binds per CPU-second`);
      const load = (await import('node:os')).loadavg()[0];
      line('machine load average (1 min) at the end', `${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);
    } finally {
      await cp.stop();
    }
  } finally {
    client.close();
    await api.stop();
  }
}

async function benchVmis(): Promise<void> {
  process.stdout.write(`\n# VMIs: ${VMI_COUNT} VMIs on ${NODE_COUNT} fake nodes, ${AGENTS} agents, all stand-ins\n`);
  const fleet = await startFleet({ agents: AGENTS, nodes: NODE_COUNT });
  const cp = await startVirtsim(
    'control-plane',
    ['control-plane', '--kubeconfig', fleet.api.kubeconfigPath],
    (r) => (r.msg === 'control-plane started' ? r.metrics : undefined),
    { logFile: join(fleet.dir, 'control-plane.log'), env: process.env.CP_PROF ? { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=' + process.env.CP_PROF } : {} },
  );
  const abort = new AbortController();
  try {
    await waitFor('nodes Ready', async () => (await listNodes(fleet.client)).filter((n) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')).length === NODE_COUNT, { timeoutMs: 120_000 });
    await waitFor('controllers started', () => cp.records.some((r) => r.msg === 'controllers started'), { timeoutMs: 30_000 });
    const seen = new Map<string, Record<string, number>>();
    const mark = (name: string, what: string) => {
      let r = seen.get(name);
      if (!r) seen.set(name, (r = {}));
      r[what] ??= performance.now();
    };
    const podRv = (await fleet.client.request<{ metadata: { resourceVersion: string } }>({ method: 'GET', path: collectionPath(PODS), query: { limit: 1 } })).metadata.resourceVersion;
    const watchingPods = fleet.client
      .stream({ path: collectionPath(PODS), query: { watch: true, resourceVersion: podRv }, signal: abort.signal }, (l) => {
        const ev = JSON.parse(l) as { type: string; object: KubeObject };
        const vmi = ev.object.metadata?.labels?.['vm.kubevirt.io/name'];
        if (!vmi) return;
        mark(vmi, 'podCreated');
        if (ev.object.spec?.nodeName) mark(vmi, 'podBound');
        if (ev.object.status?.phase === 'Running') mark(vmi, 'podRunning');
      })
      .catch(() => undefined);
    const scheduledAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const rv = (await fleet.client.request<{ metadata: { resourceVersion: string } }>({ method: 'GET', path: collectionPath(VMIS), query: { limit: 1 } })).metadata.resourceVersion;
    const watching = fleet.client
      .stream({ path: collectionPath(VMIS), query: { watch: true, resourceVersion: rv }, signal: abort.signal }, (l) => {
        const ev = JSON.parse(l) as { type: string; object: KubeObject };
        const phase = ev.object.status?.phase;
        const name = ev.object.metadata?.name;
        if (!name) return;
        if (phase === 'Pending') mark(name, 'pending');
        if (phase === 'Scheduling') mark(name, 'scheduling');
        if ((phase === 'Scheduled' || phase === 'Running') && !scheduledAt.has(name)) scheduledAt.set(name, performance.now());
        if (phase === 'Running' && !runningAt.has(name)) runningAt.set(name, performance.now());
      })
      .catch(() => undefined);
    const t0 = performance.now();
    const createdAt = new Map<string, number>();
    const ms = await createAll(fleet.client, VMI_COUNT, collectionPath(VMIS, 'default'), (i) => (createdAt.set(`bench-vmi-${i}`, performance.now()), {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: `bench-vmi-${i}`, namespace: 'default' },
      spec: {
        domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '128Mi' } } },
        networks: [{ name: 'default', pod: {} }],
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
      },
    }));
    line('VMIs created (64 in flight)', `${(VMI_COUNT / (ms / 1000)).toFixed(0)} /s over ${(ms / 1000).toFixed(2)} s`);
    await waitFor(`${VMI_COUNT} VMIs Scheduled`, () => scheduledAt.size >= VMI_COUNT, { timeoutMs: 300_000, intervalMs: 50 });
    const tSched = Math.max(...scheduledAt.values());
    line('VMI Pending->Scheduled throughput (first create to last)', `${(VMI_COUNT / ((tSched - t0) / 1000)).toFixed(0)} /s over ${((tSched - t0) / 1000).toFixed(2)} s`);
    await waitFor(`${VMI_COUNT} VMIs Running`, () => runningAt.size >= VMI_COUNT, { timeoutMs: 300_000, intervalMs: 50 });
    const tRun = Math.max(...runningAt.values());
    line('VMI create->Running throughput (with the agents)', `${(VMI_COUNT / ((tRun - t0) / 1000)).toFixed(0)} /s over ${((tRun - t0) / 1000).toFixed(2)} s`);
    const m = await scrape(String(cp.readyValue));
    line('API writes by the stand-ins per VMI', `${(metricSum(m, 'virtsim_api_write_duration_seconds_count') / VMI_COUNT).toFixed(2)}`);
    for (const res of ['virtualmachineinstances', 'pods', 'pods/binding', 'pods/status']) {
      const n = metricSum(m, 'virtsim_api_write_duration_seconds_count', { resource: res });
      const sum = metricSum(m, 'virtsim_api_write_duration_seconds_sum', { resource: res });
      if (n) line(`  API write latency ${res} (mean, ${n} writes)`, `${((sum / n) * 1000).toFixed(1)} ms`);
    }
    line('  API write conflicts (409)', `${metricSum(m, 'virtsim_api_write_errors_total', { code: '409' })}`);
    line('control-plane CPU per VMI', `${((metricSum(m, 'process_cpu_seconds_total') / VMI_COUNT) * 1e3).toFixed(2)} ms`);
    line('machine load average (1 min) at the end', `${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);
    const segments: Array<[string, string, string]> = [
      ['created', 'pending', 'virt-api: create -> Pending'],
      ['pending', 'podCreated', 'virt-controller: Pending -> launcher pod'],
      ['podCreated', 'podBound', 'scheduler: pod created -> bound'],
      ['podBound', 'podRunning', 'agent (kubelet): bound -> pod Running'],
      ['podRunning', 'scheduled', 'virt-controller: pod Running -> VMI Scheduled'],
      ['scheduled', 'running', 'agent (virt-handler): Scheduled -> Running'],
    ];
    for (const [name, t] of runningAt) seen.get(name) && (seen.get(name)!.running = t);
    for (const [name, t] of scheduledAt) seen.get(name) && (seen.get(name)!.scheduled = t);
    for (const [name, t] of createdAt) seen.get(name) && (seen.get(name)!.created = t);
    for (const [from, to, label] of segments) {
      const d = [...seen.values()].filter((r) => r[from] !== undefined && r[to] !== undefined).map((r) => r[to] - r[from]).sort((a, b) => a - b);
      if (!d.length) continue;
      line(`  ${label} (p50 / p95)`, `${d[Math.floor(d.length / 2)].toFixed(0)} / ${d[Math.floor(d.length * 0.95)].toFixed(0)} ms`);
    }
    abort.abort();
    await watching;
    await watchingPods;
  } finally {
    abort.abort();
    await cp.stop();
    await fleet.stop();
  }
}

if (!skip.has('scheduler')) await benchScheduler();
if (!skip.has('vmis')) await benchVmis();
