// The chaos run (issue 13): `virtsim up` with N agents, VMIs created at a steady rate, and
// overlapping faults on a schedule (kill -9 an agent, SIGSTOP one past the coordinator TTL,
// restart nats-server, kill -9 the watcher leader, restart the coordinator, the API fault mode).
// At the end, from the API's objects and a watch kept over the whole run: VMIs not Running,
// transitions applied twice, stale node Leases, RSS; a table per fault. Used by `npm run chaos`
// (test/chaos/run.ts) and, compressed, by test/chaos/chaos.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS, KubeClient, LEASES, PODS, VMIS, Writer, collectionPath, type KubeObject } from '@virtsim/kube';
import { createLogger, type Logger } from '@virtsim/telemetry';
import { freePort } from '@virtsim/testkit/ports';
import { waitFor } from '@virtsim/testkit/wait';
import { runUp } from '../up/run-up.ts';
import { alive, childrenOf, signal } from './processes.ts';
import { RunRecorder } from './recorder.ts';
import { checkRss, formatRss, sampleRss, type RssReport, type RssSample } from './rss.ts';
import { launcherPodProblems } from './launcher-pods.ts';

/** When each fault happens, in ms after `virtsim up` was started. */
export interface FaultPlan {
  apiFaultsAtMs: number;
  apiFaultsForMs: number;
  writeErrorRate: number;
  watchCutEveryMs: number;
  killAgentAtMs: number;
  stopAgentAtMs: number;
  stopAgentForMs: number;
  natsRestartAtMs: number;
  watcherKillAtMs: number;
  coordinatorRestartAtMs: number;
}

export interface ChaosOptions {
  vmis: number;
  nodes: number;
  agents: number;
  /** VMIs created per second. */
  rate: number;
  plan: FaultPlan;
  leaseDurationSeconds?: number;
  /** After the last fault and the last create: how long every VMI has to be Running. */
  settleTimeoutMs: number;
  stateDir?: string;
  log?: Logger;
  print?: (line: string) => void;
}

/** The coordinator's membership TTL under `virtsim up` (its default). */
export const COORDINATOR_TTL_MS = 10_000;

export const FULL_PLAN: FaultPlan = {
  apiFaultsAtMs: 60_000,
  apiFaultsForMs: 120_000,
  writeErrorRate: 0.1,
  watchCutEveryMs: 30_000,
  killAgentAtMs: 70_000,
  stopAgentAtMs: 90_000,
  stopAgentForMs: COORDINATOR_TTL_MS + 10_000,
  natsRestartAtMs: 120_000,
  watcherKillAtMs: 140_000,
  coordinatorRestartAtMs: 160_000,
};

/** The test suite's compressed schedule (a 2-core CI machine). */
export const CI_PLAN: FaultPlan = {
  apiFaultsAtMs: 20_000,
  apiFaultsForMs: 40_000,
  writeErrorRate: 0.1,
  watchCutEveryMs: 10_000,
  killAgentAtMs: 22_000,
  stopAgentAtMs: 27_000,
  stopAgentForMs: COORDINATOR_TTL_MS + 3_000,
  natsRestartAtMs: 35_000,
  watcherKillAtMs: 45_000,
  coordinatorRestartAtMs: 52_000,
};

export interface FaultRow {
  fault: string;
  /** ms after up started. */
  atMs: number;
  /** What it touched, in words ("62 nodes, 14 VMIs in flight"). */
  affected: string;
  /** Until every VMI in flight at the fault ran (ms); undefined when some never did. */
  recoverMs?: number;
  lost: number;
}

export interface ChaosResult {
  rows: FaultRow[];
  vmisCreated: number;
  notRunning: string[];
  duplicatePhaseTimestamps: string[];
  duplicateStartedEvents: string[];
  /** Running VMIs without exactly one Running launcher pod on their node. */
  launcherPods: string[];
  replayedInWatch: string[];
  staleLeases: string[];
  leaseViolations: string[];
  /** Each process's RSS at the end against what its VMIs explain (see rss.ts). */
  rss: RssReport;
  /** The processes whose RSS ended more than 20% over that expectation. */
  rssOver: string[];
  apiFaults: Record<string, number>;
  lost: number;
  stateDir: string;
  durationMs: number;
}

interface InFlight {
  at: number;
  vmis: string[];
}

const vmiBody = (name: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace: 'default', labels: { 'chaos.virtsim.io/run': 'true' } },
  spec: {
    terminationGracePeriodSeconds: 0,
    domain: { resources: { requests: { memory: '64Mi' } }, devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] } },
    networks: [{ name: 'default', pod: {} }],
    volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
  },
});

/** `virtsim up` with the API fault mode on its schedule; resolves once kubectl could use it. */
async function startFleet(o: ChaosOptions, stateDir: string) {
  const p = o.plan;
  const args = ['--state-dir', stateDir, '--nodes', String(o.nodes), '--agents', String(o.agents), '--port', String(await freePort()), '--nats-port', String(await freePort())];
  if (o.leaseDurationSeconds) args.push('--lease-duration-seconds', String(o.leaseDurationSeconds));
  args.push('--fault-write-error-rate', String(p.writeErrorRate), '--fault-watch-cut-every', `${p.watchCutEveryMs}ms`, '--fault-start', `${p.apiFaultsAtMs}ms`, '--fault-duration', `${p.apiFaultsForMs}ms`, '--fault-seed', '13');
  const started = Date.now();
  const up = runUp(args, { VIRTSIM_LOG_LEVEL: 'info' });
  await waitFor('virtsim up to be ready', () => up.out().includes('stop        Ctrl-C') || up.child.exitCode !== null, { timeoutMs: 120_000, intervalMs: 100 });
  if (up.child.exitCode !== null) throw new Error(`virtsim up exited ${up.child.exitCode}: ${up.err()}`);
  return { up, started };
}

/** Runs the whole chaos run and returns what it found; never leaves a process behind. */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'virtsim-chaos-'));
  const log = o.log ?? createLogger('chaos');
  const print = o.print ?? (() => undefined);
  const { up, started } = await startFleet(o, stateDir);
  const t = () => Date.now() - started;
  let client: KubeClient | undefined;
  let rec: RunRecorder | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    print(`chaos: virtsim up ready in ${(t() / 1000).toFixed(1)} s (${o.nodes} nodes, ${o.agents} agents; state and logs in ${stateDir})`);
    client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
    rec = new RunRecorder(client, log);
    await waitFor('the run recorder to sync', () => rec!.synced, { timeoutMs: 60_000 });
    const created: string[] = [];
    const faults: Array<{ row: FaultRow; inFlight: InFlight }> = [];
    const inFlight = (): InFlight => ({ at: Date.now(), vmis: created.filter((k) => rec!.vmis.get(k)?.runningAt === undefined) });
    const schedule = (atMs: number, fn: () => void | Promise<void>) =>
      new Promise<void>((resolve) => timers.push(setTimeout(() => void Promise.resolve(fn()).catch((err: unknown) => log.error({ err }, 'fault failed')).finally(resolve), Math.max(0, atMs - t()))));
    const firstFault = Math.min(...Object.entries(o.plan).filter(([k]) => k.endsWith('AtMs')).map(([, v]) => v));
    const faultsDone = runSchedule(o, up.child.pid!, rec, { t, schedule, print, log, inFlight, record: (row, f) => faults.push({ row, inFlight: f }) });
    // Two fault-free RSS samples (creation starts; just before the first fault) give each process's
    // memory per VMI. When creation starts after that moment, both are taken at its start.
    const rssStart = sampleRss(up.child.pid!, created.length);
    let rssBeforeFaults: RssSample = rssStart;
    const rssTaken = schedule(firstFault - 500, () => {
      rssBeforeFaults = sampleRss(up.child.pid!, created.length);
    });
    await createVmis(o, client, log, created, print, t);
    await Promise.all([faultsDone, rssTaken]);
    print(`chaos: all faults done at ${(t() / 1000).toFixed(1)} s; waiting up to ${o.settleTimeoutMs / 1000} s for every VMI to run`);
    await waitFor('every VMI Running', () => created.every((k) => rec!.vmis.get(k)?.runningAt !== undefined), { timeoutMs: o.settleTimeoutMs, intervalMs: 500 }).catch(() => undefined);
    const fleetLeaseMs = (o.leaseDurationSeconds ?? 40) * 1000;
    // The Leases of the agents that were stopped or killed come back within a lease duration.
    await waitFor('every node Lease fresh', async () => (await staleLeases(client!)).length === 0, { timeoutMs: fleetLeaseMs * 2 + 10_000, intervalMs: 1000 }).catch(() => undefined);
    return await collect({ o, client, rec, created, faults, rssStart, rssBeforeFaults, upPid: up.child.pid!, stateDir, started });
  } finally {
    for (const tm of timers) clearTimeout(tm);
    for (const c of childrenOf(up.child.pid!).values()) signal(c.pid, 'SIGCONT');
    await rec?.stop();
    client?.close();
    const pids = [...childrenOf(up.child.pid!).values()].map((c) => c.pid);
    up.child.kill('SIGTERM');
    await up.exited;
    await waitFor('every process of the run gone', () => pids.every((p) => !alive(p)), { timeoutMs: 30_000, intervalMs: 200 }).catch(() => pids.forEach((p) => signal(p, 'SIGKILL')));
  }
}

interface ScheduleContext {
  t: () => number;
  schedule: (atMs: number, fn: () => void | Promise<void>) => Promise<void>;
  print: (line: string) => void;
  log: Logger;
  inFlight: () => InFlight;
  record: (row: FaultRow, f: InFlight) => void;
}

/** The faults, each at its time; resolves once the last one is over. */
function runSchedule(o: ChaosOptions, upPid: number, rec: RunRecorder, c: ScheduleContext): Promise<unknown> {
  const p = o.plan;
  const kill = (role: string, sig: NodeJS.Signals, fault: string) => () => {
    const child = childrenOf(upPid).get(role);
    const f = c.inFlight();
    const nodes = role.startsWith('agent-') ? rec.nodesHeldBy(role).length : 0;
    if (!child) {
      c.log.warn({ role }, 'no such process to fault');
      return;
    }
    signal(child.pid, sig);
    c.log.warn({ fault, role, pid: child.pid, atMs: c.t(), vmisInFlight: f.vmis.length, nodes }, 'fault injected');
    c.print(`chaos: ${(c.t() / 1000).toFixed(1)} s  ${fault} (pid ${child.pid})`);
    c.record({ fault, atMs: c.t(), affected: `${nodes ? `${nodes} nodes, ` : ''}${f.vmis.length} VMIs in flight`, lost: 0 }, f);
  };
  const agents = (i: number) => `agent-${i % o.agents}`;
  const stopped = agents(1);
  return Promise.all([
    c.schedule(p.apiFaultsAtMs, () => {
      const f = c.inFlight();
      c.print(`chaos: ${(c.t() / 1000).toFixed(1)} s  API faults on for ${p.apiFaultsForMs / 1000} s`);
      c.record({ fault: `API faults (${p.writeErrorRate * 100}% of writes, watches cut every ${p.watchCutEveryMs / 1000} s, ${p.apiFaultsForMs / 1000} s)`, atMs: c.t(), affected: '', lost: 0 }, f);
    }),
    c.schedule(p.killAgentAtMs, kill(agents(0), 'SIGKILL', `kill -9 ${agents(0)} (up restarts it)`)),
    c.schedule(p.stopAgentAtMs, kill(stopped, 'SIGSTOP', `SIGSTOP ${stopped} for ${p.stopAgentForMs / 1000} s (TTL ${COORDINATOR_TTL_MS / 1000} s), then SIGCONT`)),
    c.schedule(p.stopAgentAtMs + p.stopAgentForMs, () => {
      const child = childrenOf(upPid).get(stopped);
      if (child) signal(child.pid, 'SIGCONT');
      c.log.warn({ role: stopped, atMs: c.t() }, 'SIGCONT');
    }),
    c.schedule(p.natsRestartAtMs, kill('nats-server', 'SIGKILL', 'restart nats-server (kill -9)')),
    c.schedule(p.watcherKillAtMs, kill('watcher', 'SIGKILL', 'kill -9 the watcher leader')),
    c.schedule(p.coordinatorRestartAtMs, kill('coordinator', 'SIGKILL', 'restart the coordinator (kill -9)')),
    c.schedule(p.apiFaultsAtMs + p.apiFaultsForMs, () => c.print(`chaos: ${(c.t() / 1000).toFixed(1)} s  API faults off`)),
  ]);
}

/** Creates the VMIs at the rate, retrying through the API faults as any client must. */
async function createVmis(o: ChaosOptions, client: KubeClient, log: Logger, created: string[], print: (l: string) => void, t: () => number): Promise<void> {
  const writer = new Writer(client, { log, concurrency: 16 });
  const begin = Date.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < o.vmis; i++) {
    const due = begin + (i * 1000) / o.rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const name = `chaos-${String(i).padStart(6, '0')}`;
    pending.push(
      writer
        .write({ key: `default/${name}`, resource: 'virtualmachineinstances', method: 'POST', path: collectionPath(VMIS, 'default'), body: vmiBody(name) })
        .then(() => created.push(`default/${name}`))
        .catch((err: unknown) => log.error({ err, name }, 'VMI create failed')),
    );
    if ((i + 1) % Math.max(1, Math.round(o.vmis / 10)) === 0) print(`chaos: ${(t() / 1000).toFixed(1)} s  ${i + 1}/${o.vmis} VMIs created`);
  }
  await Promise.all(pending);
}

async function staleLeases(client: KubeClient): Promise<string[]> {
  const r = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(LEASES, 'kube-node-lease') });
  const now = Date.now();
  return r.items
    .filter((l) => l.metadata.name.startsWith('virtsim-node-'))
    .filter((l) => !l.spec?.renewTime || Date.parse(l.spec.renewTime) + Number(l.spec.leaseDurationSeconds ?? 40) * 1000 < now)
    .map((l) => `${l.metadata.name} (holder ${l.spec?.holderIdentity || 'none'}, renewed ${l.spec?.renewTime ?? 'never'})`);
}

/** The zero-loss checks, from the API's own objects and the recorded watch. */
async function collect(p: {
  o: ChaosOptions;
  client: KubeClient;
  rec: RunRecorder;
  created: string[];
  faults: Array<{ row: FaultRow; inFlight: InFlight }>;
  rssStart: RssSample;
  rssBeforeFaults: RssSample;
  upPid: number;
  stateDir: string;
  started: number;
}): Promise<ChaosResult> {
  const { client, rec, created } = p;
  const vmis = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(VMIS, 'default') })).items;
  const byKey = new Map(vmis.map((v) => [`default/${v.metadata.name}`, v]));
  const notRunning = created.filter((k) => byKey.get(k)?.status?.phase !== 'Running').map((k) => `${k} (${byKey.get(k)?.status?.phase ?? 'missing'})`);
  const duplicatePhaseTimestamps: string[] = [];
  for (const v of vmis) {
    const phases = ((v.status?.phaseTransitionTimestamps ?? []) as Array<{ phase: string }>).map((x) => x.phase);
    const dup = phases.filter((ph, i) => phases.indexOf(ph) !== i);
    if (dup.length) duplicatePhaseTimestamps.push(`default/${v.metadata.name}: ${phases.join(',')}`);
  }
  const events = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(EVENTS, 'default') })).items;
  const started = new Map<string, number>();
  for (const e of events) {
    const io = (e as { involvedObject?: { kind?: string; name?: string } }).involvedObject;
    if (io?.kind === 'VirtualMachineInstance' && e.reason === 'Started' && io.name) started.set(io.name, (started.get(io.name) ?? 0) + 1);
  }
  const duplicateStartedEvents = [...started].filter(([, n]) => n > 1).map(([name, n]) => `default/${name}: ${n} Started events`);
  const pods = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(PODS, 'default') })).items;
  const launcherPods = launcherPodProblems(vmis, pods);
  const replayedInWatch = created.filter((k) => (rec.vmis.get(k)?.runningEntries ?? 0) > 1).map((k) => `${k}: ${rec.vmis.get(k)!.phases.join(' -> ')}`);
  const staleAtEnd = await staleLeases(client);
  const leaseViolations = [...rec.leases.values()].flatMap((l) => l.violations);
  const rss = checkRss(p.rssStart, p.rssBeforeFaults, sampleRss(p.upPid, created.length));
  const bad = new Set([...notRunning, ...duplicatePhaseTimestamps, ...duplicateStartedEvents, ...launcherPods, ...replayedInWatch].map((s) => s.split(/[ :]/)[0]!));
  const rows = p.faults.map(({ row, inFlight }) => {
    const ran = inFlight.vmis.map((k) => rec.vmis.get(k)?.runningAt);
    const recoverMs = ran.every((x) => x !== undefined) ? Math.max(0, ...ran.map((x) => x! - inFlight.at)) : undefined;
    return { ...row, recoverMs, lost: inFlight.vmis.filter((k) => bad.has(k)).length };
  });
  const apiFaults = await apiFaultCounts(p.stateDir);
  const apiRow = rows.find((r) => r.fault.startsWith('API faults'));
  if (apiRow) apiRow.affected = Object.entries(apiFaults).map(([k, n]) => `${n} ${k}`).join(', ') || 'none injected';
  const lost = bad.size + staleAtEnd.length + leaseViolations.length;
  return { rows, vmisCreated: created.length, notRunning, duplicatePhaseTimestamps, duplicateStartedEvents, launcherPods, replayedInWatch, staleLeases: staleAtEnd, leaseViolations, rss, rssOver: rss.over, apiFaults, lost, stateDir: p.stateDir, durationMs: Date.now() - p.started };
}

/** Faults the API server logged, by kind (its log under the state dir). */
async function apiFaultCounts(stateDir: string): Promise<Record<string, number>> {
  const { readFileSync } = await import('node:fs');
  const out: Record<string, number> = {};
  let text = '';
  try {
    text = readFileSync(join(stateDir, 'logs', 'apiserver.log'), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"fault injected') && !line.includes('fault injected: every open watch cut')) continue;
    try {
      const r = JSON.parse(line) as { fault?: string; watches?: number };
      if (r.fault === 'watch-cut') out['watches cut'] = (out['watches cut'] ?? 0) + (r.watches ?? 0);
      else if (r.fault) {
        const label = r.fault === 'hangup' ? 'writes hung up' : r.fault === 'applied' ? 'writes applied, answer lost' : `writes answered ${r.fault}`;
        out[label] = (out[label] ?? 0) + 1;
      }
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/** The table `npm run chaos` prints. */
export function formatResult(r: ChaosResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = ['| fault | when | objects affected | time to recover | lost |', '| --- | --- | --- | --- | --- |'];
  for (const row of r.rows) lines.push(`| ${row.fault} | ${s(row.atMs)} | ${row.affected} | ${row.recoverMs === undefined ? 'not recovered' : s(row.recoverMs)} | ${row.lost} |`);
  lines.push('');
  lines.push(`VMIs created ${r.vmisCreated}, not Running at the end ${r.notRunning.length}, transitions applied twice: ${r.duplicatePhaseTimestamps.length} duplicate phaseTransitionTimestamps, ${r.duplicateStartedEvents.length} second Started events, ${r.replayedInWatch.length} VMIs seen entering Running twice, ${r.launcherPods.length} Running VMIs without exactly one Running launcher pod on their node`);
  lines.push(`node Leases stale at the end ${r.staleLeases.length}, Lease taken from a live holder ${r.leaseViolations.length}`);
  lines.push(formatRss(r.rss));
  for (const [what, list] of [['RSS over', r.rssOver], ['not Running', r.notRunning], ['duplicate phase timestamps', r.duplicatePhaseTimestamps], ['second Started event', r.duplicateStartedEvents], ['launcher pod', r.launcherPods], ['replayed', r.replayedInWatch], ['stale Lease', r.staleLeases], ['Lease violation', r.leaseViolations]] as const) {
    for (const x of list.slice(0, 10)) lines.push(`  ${what}: ${x}`);
  }
  lines.push(`lost: ${r.lost}, RSS over its expectation: ${r.rssOver.length}   (run took ${s(r.durationMs)}; logs in ${r.stateDir}/logs)`);
  return lines.join('\n');
}
