/**
 * API server benchmark (prints figures; not a test). Starts `virtsim apiserver` as a child process
 * (audit lines off), loads KubeVirt's VMI CRD, then measures:
 * (in this order, so the garbage of the big LISTs does not land on the patch figures)
 *  1. sustained JSON merge patches of VMIs per second with 1 and 32 concurrent clients, while 4
 *     watchers receive every event (checked: each watcher saw every patch);
 *  2. LIST of 100,000 VMIs (wall time for the whole response), then the same in pages of 500 with
 *     a write between pages, as an informer's relist reads it while the cluster goes on;
 *  3. server RSS holding 100,000 VMIs + 100,000 pods + 10,000 nodes;
 *  4. the restart after kill -9 (snapshot + log replay) until it listens and serves a LIST page.
 * The objects are seeded as the stop-time snapshot older versions wrote (objects.jsonl), which the
 * first start imports into its store (and snapshots before listening).
 * Usage: node_modules/.bin/node bench/apiserver/run.ts [--vmis N] [--pods N] [--nodes N] [--seconds S] [--insecure-http]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { startApiServerForTest } from '@virtsim/testkit/apiserver';

const { values } = parseArgs({
  options: {
    vmis: { type: 'string', default: '100000' },
    pods: { type: 'string', default: '100000' },
    nodes: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '5' },
    'insecure-http': { type: 'boolean', default: false },
  },
});
const N_VMIS = Number(values.vmis);
const N_PODS = Number(values.pods);
const N_NODES = Number(values.nodes);
const SECONDS = Number(values.seconds);
/** --insecure-http: plain HTTP, to see how much of the cost is TLS. */
const PLAIN = values['insecure-http'];
const request = (PLAIN ? httpRequest : httpsRequest) as typeof httpsRequest;
const CONTROLLER = 'system:serviceaccount:kubevirt:kubevirt-controller';

function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, agent, headers: { authorization: `Bearer ${server.token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function must(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await call(method, path, body === undefined ? undefined : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

async function pool(total: number, concurrency: number, job: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await job(next++);
  }));
}

function vmi(name: string, i: number) {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'bench', labels: { 'kubevirt.io/vm': name, app: 'bench' }, finalizers: ['kubevirt.io/foregroundDeleteVirtualMachine'] },
    spec: {
      domain: { cpu: { cores: 1, sockets: 1, threads: 1 }, devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }, { name: 'cloudinitdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, machine: { type: 'q35' }, memory: { guest: '128Mi' }, resources: { requests: { memory: '128Mi' } } },
      networks: [{ name: 'default', pod: {} }],
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo:latest' } }, { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config\npassword: fedora\nchpasswd: { expire: False }' } }],
    },
    status: { phase: 'Running', nodeName: `node-${i % 1000}`, qosClass: 'Burstable', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }, { type: 'LiveMigratable', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }], interfaces: [{ name: 'default', ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, mac: '02:00:00:00:00:01', interfaceName: 'eth0', infoSource: 'domain, guest-agent' }], migrationMethod: 'BlockMigration', phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: '2026-01-01T00:00:00Z' }, { phase: 'Scheduling', phaseTransitionTimestamp: '2026-01-01T00:00:01Z' }, { phase: 'Scheduled', phaseTransitionTimestamp: '2026-01-01T00:00:02Z' }, { phase: 'Running', phaseTransitionTimestamp: '2026-01-01T00:00:03Z' }] },
  };
}

const NOW = '2026-01-01T00:00:00Z';
let rvSeq = 0;
const meta = (m: Record<string, any>) => ({ ...m, uid: `00000000-0000-4000-8000-${String(++rvSeq).padStart(12, '0')}`, resourceVersion: String(rvSeq), generation: 1, creationTimestamp: NOW });

function node(i: number) {
  return { apiVersion: 'v1', kind: 'Node', metadata: meta({ name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'kubevirt.io/schedulable': 'true', type: 'kwok' }, annotations: { 'kwok.x-k8s.io/node': 'fake' } }), spec: { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] }, status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110', 'devices.kubevirt.io/kvm': '1k' }, capacity: { cpu: '32', memory: '256Gi', pods: '110', 'devices.kubevirt.io/kvm': '1k' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: NOW, lastTransitionTime: NOW }], nodeInfo: { kubeletVersion: 'fake', architecture: 'amd64', operatingSystem: 'linux' }, addresses: [{ type: 'InternalIP', address: `10.0.${i >> 8}.${i & 255}` }] } };
}

function pod(i: number) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta({ name: `virt-launcher-vmi-${i}-abcde`, namespace: 'bench', labels: { 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': `uid-${i}`, 'vm.kubevirt.io/name': `vmi-${i}` }, annotations: { 'kubevirt.io/domain': `vmi-${i}` } }), spec: { nodeName: `node-${i % Math.max(1, N_NODES)}`, containers: [{ name: 'compute', image: 'quay.io/kubevirt/virt-launcher:v1.6.0', resources: { requests: { cpu: '100m', memory: '300Mi' }, limits: { memory: '400Mi' } } }], readinessGates: [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }], restartPolicy: 'Never', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30 }, status: { phase: 'Running', podIP: `10.1.${(i >> 8) & 255}.${i & 255}`, qosClass: 'Burstable', conditions: [{ type: 'Ready', status: 'True' }, { type: 'kubevirt.io/virtual-machine-unpaused', status: 'True' }], containerStatuses: [{ name: 'compute', ready: true, restartCount: 0, image: 'quay.io/kubevirt/virt-launcher:v1.6.0', state: { running: { startedAt: NOW } } }] } };
}

/** Writes objects.jsonl as the server's persistence does: CRD, namespace, VMIs, pods, nodes. */
function writeSnapshot(dir: string): number {
  const crd = parse(readFileSync('/work/shared/reference/kubevirt/crds/virtualmachineinstances.kubevirt.io.yaml', 'utf8'));
  const lines: string[] = [];
  crd.metadata = meta(crd.metadata);
  lines.push(`apiextensions.k8s.io/customresourcedefinitions\t${JSON.stringify(crd)}`);
  lines.push(`/namespaces\t${JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: meta({ name: 'bench' }), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } })}`);
  for (let i = 0; i < N_VMIS; i++) {
    const v: Record<string, any> = vmi(`vmi-${String(i).padStart(6, '0')}`, i);
    v.metadata = meta(v.metadata);
    lines.push(`kubevirt.io/virtualmachineinstances\t${JSON.stringify(v)}`);
  }
  for (let i = 0; i < N_PODS; i++) lines.push(`/pods\t${JSON.stringify(pod(i))}`);
  for (let i = 0; i < N_NODES; i++) lines.push(`/nodes\t${JSON.stringify(node(i))}`);
  writeFileSync(join(dir, 'objects.jsonl'), JSON.stringify({ resourceVersion: rvSeq }) + '\n' + lines.join('\n') + '\n');
  return lines.length;
}

function rssMb(): number {
  const status = readFileSync(`/proc/${server.child!.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** GET with the time to the first byte; the body is kept as bytes (parsing is the client's cost). */
function timedGet(path: string): Promise<{ ttfbMs: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: u.hostname, port: u.port, path, agent, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      let ttfbMs = -1;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (ttfbMs < 0) ttfbMs = performance.now() - t0;
        chunks.push(c);
      });
      res.on('end', () => resolve({ ttfbMs, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** CPU seconds the server process has used (user + system), from /proc. */
function serverCpuSeconds(): number {
  const stat = readFileSync(`/proc/${server.child!.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A raw watch stream that counts MODIFIED events. */
function watcher(path: string) {
  const w = { events: 0, close: () => {} };
  const req = request({ host: u.hostname, port: u.port, path, ca: server.caPem, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const s = rest + chunk;
      let idx = 0;
      let nl: number;
      while ((nl = s.indexOf('\n', idx)) >= 0) {
        if (s.startsWith('{"type":"MODIFIED"', idx)) w.events++;
        idx = nl + 1;
      }
      rest = s.slice(idx);
    });
  });
  req.on('error', () => {});
  req.end();
  w.close = () => req.destroy();
  return w;
}

// The 210k objects are seeded as a --data-dir snapshot (the format the server saves on a clean
// stop), so the figures below do not wait minutes for a TLS client to create them one by one;
// creation through the API is measured separately.
const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-apiserver-bench-'));
const seedT0 = performance.now();
const seeded = writeSnapshot(dataDir);
const restartT0 = performance.now();
let server = await startApiServerForTest({ dataDir, args: ['--no-audit', '--watch-cache-size', '50000', ...(PLAIN ? ['--insecure-http'] : [])], timeoutMs: 300_000 });
const restoreSecs = (performance.now() - restartT0) / 1000;

let u = new URL(server.url);
let agent = PLAIN ? new HttpAgent({ keepAlive: true, maxSockets: 128 }) : new HttpsAgent({ keepAlive: true, maxSockets: 128, ca: server.caPem });

const out: string[] = [];
const report = (line: string) => {
  out.push(line);
  console.log(line);
};

try {
  report(`transport: ${PLAIN ? 'plain HTTP (--insecure-http)' : 'TLS'}`);
  report(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  report(`objects: VMI with full running status, ${JSON.stringify(vmi('vmi-000000', 0)).length} bytes of JSON; pod ${JSON.stringify(pod(0)).length} bytes; node ${JSON.stringify(node(0)).length} bytes`);
  report(`seeded ${seeded} objects in a snapshot (${((restartT0 - seedT0) / 1000).toFixed(1)} s); server restored them and listened after ${restoreSecs.toFixed(1)} s`);
  report(`RSS with ${N_VMIS} VMIs + ${N_PODS} pods + ${N_NODES} nodes: ${rssMb().toFixed(0)} MB`);
  const VMIS = '/apis/kubevirt.io/v1/namespaces/bench/virtualmachineinstances';
  const asController = { 'impersonate-user': CONTROLLER };
  const PATCH_SET = Math.min(1000, N_VMIS);
  let seq = 0;
  for (const clients of [1, 32]) {
    const { resourceVersion } = JSON.parse((await must('GET', `${VMIS}?limit=1`)).text).metadata;
    const watchers = Array.from({ length: 4 }, () => watcher(`${VMIS}?watch=true&resourceVersion=${resourceVersion}`));
    let done = 0;
    const cpu0 = serverCpuSeconds();
    const deadline = Date.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      let k = c;
      while (Date.now() < deadline) {
        const n = ++seq;
        const name = `vmi-${String(k % PATCH_SET).padStart(6, '0')}`;
        k += clients;
        await must('PATCH', `${VMIS}/${name}`, { status: { interfaces: [{ name: 'default', ipAddress: `10.1.${(n >> 8) & 255}.${n & 255}`, interfaceName: 'eth0' }], activePods: { [`pod-${n}`]: 'node-1' } } }, { ...asController, 'content-type': 'application/merge-patch+json' });
        done++;
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    const wDeadline = Date.now() + 30_000;
    while (watchers.some((w) => w.events < done) && Date.now() < wDeadline) await new Promise((r) => setTimeout(r, 20));
    const lagMs = Math.max(0, Math.round(performance.now() - (t0 + secs * 1000)));
    const cpu = serverCpuSeconds() - cpu0;
    report(`merge patches, ${clients} client(s): ${Math.round(done / secs)} patches/s (${done} in ${secs.toFixed(1)} s); 4 watchers received ${watchers.map((w) => w.events).join('/')} of ${done} events, drained ${lagMs} ms after the last patch; server CPU ${((cpu * 1e6) / done).toFixed(0)} µs per patch incl. 4 watch writes (= ${Math.round(done / cpu)} patches per server CPU-second)`);
    for (const w of watchers) w.close();
  }

  const lists: string[] = [];
  let bytes = 0;
  let items = 0;
  for (let i = 0; i < 3; i++) {
    const cpu0 = serverCpuSeconds();
    const t = performance.now();
    const r = await timedGet(VMIS);
    const cpu = serverCpuSeconds() - cpu0;
    lists.push(`${((performance.now() - t) / 1000).toFixed(2)} s (first byte ${(r.ttfbMs / 1000).toFixed(2)} s, server CPU ${cpu.toFixed(2)} s)`);
    bytes = r.body.length;
    if (i === 0) items = JSON.parse(r.body.toString()).items.length;
  }
  report(`LIST ${items} VMIs (${(bytes / 1e6).toFixed(0)} MB of JSON, over TLS, until the last byte is received): ${lists.join('; ')}`);
  report(`RSS after the LISTs: ${rssMb().toFixed(0)} MB`);

  // A relisting informer: pages of 500 while the objects change between pages, so every page after
  // the first is read at its list's (now older) resourceVersion.
  {
    const PAGE = 500;
    const cpu0 = serverCpuSeconds();
    const t = performance.now();
    let pages = 0;
    let listed = 0;
    let cont: string | undefined;
    do {
      if (cont) await must('PATCH', `${VMIS}/vmi-${String(pages % PATCH_SET).padStart(6, '0')}`, { metadata: { labels: { page: String(pages) } } }, { 'content-type': 'application/merge-patch+json' });
      const r = JSON.parse((await must('GET', `${VMIS}?limit=${PAGE}${cont ? `&continue=${cont}` : ''}`)).text);
      pages++;
      listed += r.items.length;
      cont = r.metadata.continue;
    } while (cont);
    const secs = (performance.now() - t) / 1000;
    const cpu = serverCpuSeconds() - cpu0;
    report(`paginated LIST of ${listed} VMIs, ${PAGE} a page, one patch between pages (pages after the first read at the list's older resourceVersion): ${pages} pages in ${secs.toFixed(2)} s (${((secs * 1000) / pages).toFixed(1)} ms a page), server CPU ${cpu.toFixed(2)} s`);
  }

  const CREATES = 5000;
  const t = performance.now();
  const cpu0 = serverCpuSeconds();
  await pool(CREATES, 64, (i) => must('POST', VMIS, vmi(`new-${i}`, i), asController));
  report(`created ${CREATES} VMIs with 64 clients: ${Math.round(CREATES / ((performance.now() - t) / 1000))} creates/s; server CPU ${(((serverCpuSeconds() - cpu0) * 1e6) / CREATES).toFixed(0)} µs per create`);
  report(`RSS at the end: ${rssMb().toFixed(0)} MB`);
  // A crash: kill -9, then a start from the snapshot plus the log of every write since.
  const storeBytes = () => readdirSync(join(dataDir, 'store')).map((f) => `${f} ${(statSync(join(dataDir, 'store', f)).size / 1e6).toFixed(1)} MB`).join(', ');
  report(`store before kill -9: ${storeBytes()}`);
  server.child!.kill('SIGKILL');
  await new Promise((r) => server.child!.once('exit', r));
  agent.destroy();
  await server.stop();
  const crashT0 = performance.now();
  server = await startApiServerForTest({ dataDir, args: ['--no-audit', ...(PLAIN ? ['--insecure-http'] : [])], timeoutMs: 300_000 });
  const listenSecs = (performance.now() - crashT0) / 1000;
  agent = PLAIN ? new HttpAgent({ keepAlive: true, maxSockets: 128 }) : new HttpsAgent({ keepAlive: true, maxSockets: 128, ca: server.caPem });
  u = new URL(server.url);
  const firstList = await timedGet(`${VMIS}?limit=500`);
  const restoredLine = /"msg":"store restored"/.test(server.logs()) ? JSON.parse(server.logs().split('\n').find((l) => l.includes('"store restored"'))!) : {};
  report(`restart after kill -9: ${restoredLine.objects} objects (${restoredLine.records} records replayed) in ${(restoredLine.ms / 1000).toFixed(1)} s; listening after ${listenSecs.toFixed(1)} s (process start included); first LIST page ${(firstList.ttfbMs / 1000).toFixed(2)} s later`);
} finally {
  agent.destroy();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
