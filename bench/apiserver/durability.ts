/**
 * What durability costs on the write path (prints figures; not a test). Starts `virtsim apiserver`
 * as a child process (audit lines off, KubeVirt's VMI CRD loaded) and measures, at each client
 * concurrency, for --seconds each:
 *  1. raw VMI creates per second (POST as kubevirt-controller);
 *  2. VMI status merge patches per second (as kubevirt-controller patches status);
 * then, with a data dir: disk bytes per object in the log, a clean stop (which compacts) and the
 * bytes per object in the snapshot, and the time a restart takes to serve them again.
 *
 * Usage: node_modules/.bin/node bench/apiserver/durability.ts [--durability memory|fsync|batch|none]
 *          [--seconds S] [--concurrency 4,16,32]
 *   memory = no --data-dir (nothing kept; the figures before durability existed).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';

const { values } = parseArgs({
  options: {
    durability: { type: 'string', default: 'fsync' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4,16,32' },
  },
});
const MODE = values.durability!;
if (!['memory', 'fsync', 'batch', 'none'].includes(MODE)) throw new Error(`--durability must be memory, fsync, batch or none, got ${MODE}`);
const SECONDS = Number(values.seconds);
const LEVELS = values.concurrency!.split(',').map(Number);
const CONTROLLER = { 'impersonate-user': 'system:serviceaccount:kubevirt:kubevirt-controller' };
const REPO = new URL('../../', import.meta.url).pathname;

function vmi(name: string, i: number) {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'bench', labels: { 'kubevirt.io/vm': name, app: 'bench' } },
    spec: {
      domain: { cpu: { cores: 1 }, devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, memory: { guest: '128Mi' }, resources: { requests: { memory: '128Mi' } } },
      networks: [{ name: 'default', pod: {} }],
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo:latest' } }],
    },
    status: { phase: 'Running', nodeName: `node-${i % 1000}`, conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
}

function dirBytes(dir: string): { bytes: number; files: string[] } {
  let bytes = 0;
  const files: string[] = [];
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, f));
    if (st.isFile() && !f.startsWith('pki')) {
      bytes += st.size;
      files.push(`${f} ${st.size}`);
    }
  }
  return { bytes, files };
}

function serverCpuSeconds(s: ApiServerHarness): number {
  const stat = readFileSync(`/proc/${s.child!.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const dataDir = MODE === 'memory' ? undefined : mkdtempSync(join(tmpdir(), 'virtsim-durability-bench-'));
const args = ['--no-audit', ...(MODE === 'memory' ? [] : ['--durability', MODE])];
let server = await startApiServerForTest({ dataDir, args, timeoutMs: 120_000 });
let agent = new Agent({ keepAlive: true, maxSockets: 256, ca: server.caPem });

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, agent, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
async function must(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await call(method, path, body, headers);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

/** Runs `clients` loops of `op` for SECONDS; returns ops/s and server CPU µs per op. */
async function rate(clients: number, op: (client: number, n: number) => Promise<unknown>) {
  let done = 0;
  const cpu0 = serverCpuSeconds(server);
  const deadline = Date.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; Date.now() < deadline; n++) {
      await op(c, n);
      done++;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const cpu = serverCpuSeconds(server) - cpu0;
  return { perSec: Math.round(done / secs), done, cpuUs: Math.round((cpu * 1e6) / done) };
}

const VMIS = '/apis/kubevirt.io/v1/namespaces/bench/virtualmachineinstances';
const lines: string[] = [];
const report = (l: string) => {
  lines.push(l);
  console.log(l);
};
try {
  report(`durability: ${MODE}${dataDir ? ` (data dir ${dataDir})` : ' (no data dir)'}; machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await must('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', parse(readFileSync(join(REPO, 'deploy/crds/virtualmachineinstances.kubevirt.io.yaml'), 'utf8')));
  await must('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
  // the CRD is served once it is stored; wait until its path answers
  for (const t = Date.now(); (await call('GET', VMIS)).status !== 200; ) if (Date.now() - t > 10_000) throw new Error('VMI resource not served');
  let created = 0;
  for (const c of LEVELS) {
    const names: string[][] = Array.from({ length: c }, () => []);
    const creates = await rate(c, async (client, n) => {
      const name = `vmi-c${c}-${client}-${n}`;
      await must('POST', VMIS, vmi(name, n), CONTROLLER);
      names[client].push(name);
    });
    created += creates.done;
    const patches = await rate(c, (client, n) => {
      const own = names[client];
      return must('PATCH', `${VMIS}/${own[n % own.length]}`, { status: { interfaces: [{ name: 'default', ipAddress: `10.1.${(n >> 8) & 255}.${n & 255}` }], activePods: { [`pod-${n}`]: 'node-1' } } }, { ...CONTROLLER, 'content-type': 'application/merge-patch+json' });
    });
    report(`concurrency ${c}: ${creates.perSec} creates/s (server CPU ${creates.cpuUs} µs each); ${patches.perSec} status patches/s (server CPU ${patches.cpuUs} µs each)`);
  }
  if (dataDir) {
    const objects = created + 6;
    const before = dirBytes(dataDir);
    report(`on disk before compaction: ${(before.bytes / 1e6).toFixed(1)} MB for ${objects} objects and every write since (${before.files.join(', ')})`);
    agent.destroy();
    await server.stop();
    const after = dirBytes(dataDir);
    report(`on disk after the stop's compaction: ${(after.bytes / 1e6).toFixed(1)} MB, ${Math.round(after.bytes / objects)} bytes per object (${after.files.join(', ')})`);
    const t0 = performance.now();
    server = await startApiServerForTest({ dataDir, args, timeoutMs: 120_000 });
    agent = new Agent({ keepAlive: true, maxSockets: 16, ca: server.caPem });
    const listed = JSON.parse((await must('GET', VMIS)).text).items.length;
    report(`restart: listening after ${((performance.now() - t0) / 1000).toFixed(2)} s (process start included), ${listed} VMIs listed`);
  }
} finally {
  agent.destroy();
  await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
