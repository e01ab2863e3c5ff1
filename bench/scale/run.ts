// The ceiling of this machine: one embedded cluster of 10,000 fake nodes, then steps of VMIs created
// at rising rates (each step: create for --step-seconds, wait until all Running, clean up) until
// creation->Running P99 passes --p99 (default 2 s). Prints, per step, the rate asked and achieved,
// P50/P95/P99, the oldest node Lease age, and CPU (% of one core) and peak RSS per process, the
// fleet's memory once the step's VMIs run (RSS and PSS) and its CPU in ms per VMI, and names the
// process that saturated first (the busiest one at the first failing step). Each step holds its VMIs
// Running for --hold-seconds (60) before cleanup: the fleet's memory and CPU at rest with them.
// The first step starts --settle-seconds (150) after the nodes are Ready: each node's first
// virt-handler heartbeat (a Node patch every 60-132 s, seen by every node watcher) comes 60-132 s
// after that, so a step started at once runs its first minute without the heartbeats' steady cost.
//   node_modules/.bin/node bench/scale/run.ts [--nodes 10000] [--rates 20,40,60,80,100,150,200] [--step-seconds 60] [--settle-seconds 150] [--hold-seconds 60] [--p99 2s] [--durability fsync|batch|none]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveConfig, runLoadtest, startEmbeddedCluster, type Report } from '@virtsim/loadtest';
import { createLogger } from '@virtsim/telemetry';
import { freePort } from '../../test/loadtest/harness.ts';

function quietLogger() {
  const log = createLogger('bench-scale');
  log.level = 'warn';
  return log;
}

const { values } = parseArgs({ options: { nodes: { type: 'string' }, agents: { type: 'string' }, rates: { type: 'string' }, 'step-seconds': { type: 'string' }, 'settle-seconds': { type: 'string' }, 'hold-seconds': { type: 'string' }, p99: { type: 'string' }, durability: { type: 'string' } } });
const nodes = Number(values.nodes ?? 10_000);
const rates = (values.rates ?? '20,40,60,80,100,150,200').split(',').map(Number);
const stepSeconds = Number(values['step-seconds'] ?? 60);
const settleSeconds = Number(values['settle-seconds'] ?? 150);
const holdSeconds = Number(values['hold-seconds'] ?? 60);
const p99LimitMs = Number.parseFloat(values.p99 ?? '2') * 1000;
function durabilityOf(v: string | undefined): 'fsync' | 'batch' | 'none' | undefined {
  if (v === undefined || v === 'fsync' || v === 'batch' || v === 'none') return v;
  throw new Error(`--durability must be fsync, batch or none, got ${v}`);
}
const dir = mkdtempSync(join(tmpdir(), 'virtsim-scale-'));

/** CPU seconds the whole machine has been busy (all processes, /proc/stat): to see what ran beside the fleet. */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / 100;
}

console.log(`scale: starting the embedded cluster with ${nodes} nodes...`);
const cluster = await startEmbeddedCluster({ nodes, agents: Number(values.agents ?? 2), stateDir: join(dir, 'state'), apiPort: await freePort(), natsPort: await freePort(), durability: durabilityOf(values.durability) }, (l) => console.log(l), quietLogger());
const rows: Array<{ rate: number; report: Report; otherCpuSeconds: number }> = [];
try {
  if (settleSeconds > 0) {
    console.log(`settling ${settleSeconds} s, into the steady state of the node heartbeats...`);
    await sleep(settleSeconds * 1000);
  }
  for (const rate of rates) {
    const count = Math.max(200, Math.round(rate * stepSeconds));
    // A steady rate: a burst of one second's VMIs at t=0 would double the rate of the step's first second.
    const config = resolveConfig({ name: `scale-${rate}`, count, rate, burst: Math.max(1, Math.ceil(rate / 10)), namespaces: { prefix: `scale-${rate}`, objectsPerNamespace: 5000 }, phases: ['create', { wait: { timeout: '10m' } }, ...(holdSeconds > 0 ? [{ hold: { duration: `${holdSeconds}s` } }] : []), 'cleanup'] }, {});
    console.log(`\nstep: ${count} VMIs at ${rate}/s`);
    const busyBefore = machineBusySeconds();
    const { report } = await runLoadtest({ config, kubeconfig: cluster.kubeconfig, processes: cluster.processes(), metricsUrls: cluster.agentMetricsUrls(), out: join(dir, `step-${rate}`), live: 'lines' });
    const fleetCpu = Object.values(report.processes).reduce((sum, p) => sum + p.cpuSeconds, 0);
    rows.push({ rate, report, otherCpuSeconds: Math.max(0, machineBusySeconds() - busyBefore - fleetCpu) });
    const p99 = report.quantiles.VMIRunning?.P99 ?? Infinity;
    if (p99 > p99LimitMs || report.counts.notReachedRunning > 0) break;
  }
} finally {
  await cluster.stop();
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
/** A step's processes but the load test's own. */
const inFleet = ([name]: [string, unknown]) => name !== 'loadtest';
const fleetProcesses = (report: Report) => Object.entries(report.processes).filter(inFleet);
const gib = (mib: number) => `${(mib / 1024).toFixed(2)} GiB`;

/** RSS and PSS of the fleet's processes summed over one sample. */
function fleetSum(processes: Report['series'][number]['processes']): string {
  const fleet = Object.entries(processes ?? {}).filter(inFleet);
  const rss = fleet.reduce((sum, [, p]) => sum + p.rssMiB, 0);
  const pss = fleet.reduce((sum, [, p]) => sum + (p.pssMiB ?? p.rssMiB), 0);
  return `${gib(rss)} RSS, ${gib(pss)} PSS`;
}

/**
 * The fleet's memory: the sum of per-process peaks; RSS and PSS summed over the last sample once
 * the step's VMIs were created (the wait for Running follows within a second), and over the last one of the hold (at rest with them). PSS
 * counts the pages the Node processes share (their binary) once, so it is what the fleet really takes.
 */
function fleetMemory(report: Report): string {
  const peaks = fleetProcesses(report).reduce((sum, [, p]) => sum + p.peakRssMiB, 0);
  const sampled = report.series.filter((s) => s.processes);
  const created = sampled.filter((s) => s.phase === 'create' || s.phase === 'wait').at(-1);
  const held = sampled.filter((s) => s.phase === 'hold').at(-1);
  return `sum of peaks ${gib(peaks)} RSS; once created: ${fleetSum(created?.processes)}${held ? `; after ${holdSeconds} s at rest: ${fleetSum(held.processes)}` : ''}`;
}

/** The fleet's CPU while it holds the step's VMIs Running (share of one core, mean over the hold). */
function heldCpu(report: Report): string | undefined {
  const held = report.series.filter((s) => s.phase === 'hold' && s.processes);
  if (held.length < 2) return undefined;
  // The first sample's CPU spans the interval before it, which ends the wait for Running.
  const fleet = held.slice(1).map((s) => Object.entries(s.processes!).filter(inFleet).reduce((sum, [, p]) => sum + p.cpuPercent, 0));
  return `${(fleet.reduce((a, b) => a + b, 0) / fleet.length / 100).toFixed(2)} of a core`;
}

/** The fleet's CPU per VMI created, the figure the rate ceiling follows from (2 cores: 2,000 ms a second). */
function fleetCpu(report: Report): string {
  const fleet = fleetProcesses(report).sort((a, b) => b[1].cpuSeconds - a[1].cpuSeconds);
  const perVmi = (cpuSeconds: number) => ((cpuSeconds * 1000) / Math.max(1, report.counts.created)).toFixed(1);
  const total = fleet.reduce((sum, [, p]) => sum + p.cpuSeconds, 0);
  return `${perVmi(total)} ms per VMI created, over the whole step (heartbeats and cleanup included: ${fleet.map(([n, p]) => `${n} ${perVmi(p.cpuSeconds)}`).join(', ')})`;
}

console.log(`\nscale on ${nodes} nodes (creation->Running, s; CPU as % of one core over the step; reports under ${dir})`);
console.log('rate asked  achieved  VMIs    P50     P95     P99   oldest lease s | busiest processes');
let ceiling: number | undefined;
for (const { rate, report } of rows) {
  const q = report.quantiles.VMIRunning;
  const create = report.phases.find((p) => p.kind === 'create')!.summary as { qpsAchieved: number };
  const leaseAge = Math.max(0, ...report.series.map((s) => s.oldestLeaseAgeSeconds ?? 0));
  const busiest = Object.entries(report.processes)
    .map(([name, p]) => [name, (p.cpuSeconds / report.durationSeconds) * 100] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([n, pct]) => `${n} ${pct.toFixed(0)}%`)
    .join(', ');
  const held = (q?.P99 ?? Infinity) <= p99LimitMs && report.counts.notReachedRunning === 0;
  if (held) ceiling = rate;
  console.log(`${String(rate).padStart(10)}  ${create.qpsAchieved.toFixed(1).padStart(8)}  ${String(report.counts.created).padStart(5)}  ${sec(q?.P50).padStart(5)}  ${sec(q?.P95).padStart(6)}  ${sec(q?.P99).padStart(6)}  ${leaseAge.toFixed(1).padStart(8)}      | ${busiest}${held ? '' : '   <- P99 over the limit'}`);
}
// Where the time went: each milestone's P50/P99 from creation, in the order a VMI passes them.
const MILESTONES = ['PodCreated', 'PodPodScheduled', 'PodReady', 'VMIScheduled', 'VMIRunning'];
for (const { rate, report } of rows) {
  const q = (m: string) => report.quantiles[m];
  console.log(`  milestones at ${rate}/s (P50/P99 s): ${MILESTONES.map((m) => `${m} ${sec(q(m)?.P50)}/${sec(q(m)?.P99)}`).join(', ')}`);
}
for (const { rate, report, otherCpuSeconds } of rows) {
  // Measured on a machine that also ran something else, the figures say little about the fleet.
  const other = (otherCpuSeconds / report.durationSeconds) * 100;
  console.log(`  outside the fleet at ${rate}/s: ${other.toFixed(0)}% of one core${other > 10 ? '  <- something else was busy: figures not comparable' : ''}`);
}
for (const { rate, report } of rows) {
  console.log(`  peak RSS at ${rate}/s: ${Object.entries(report.processes).map(([n, p]) => `${n} ${p.peakRssMiB.toFixed(0)}`).join(', ')} MiB`);
  console.log(`  fleet memory at ${rate}/s: ${fleetMemory(report)}`);
}
for (const { rate, report } of rows) {
  console.log(`  fleet CPU at ${rate}/s: ${fleetCpu(report)}`);
  const atRest = heldCpu(report);
  if (atRest) console.log(`  fleet CPU at rest with ${report.counts.created} VMIs Running: ${atRest}`);
}
console.log(ceiling === undefined ? `\nno rate held P99 <= ${sec(p99LimitMs)} s` : `\nhighest rate that holds P99 <= ${sec(p99LimitMs)} s: ${ceiling}/s`);
