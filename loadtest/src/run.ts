import { existsSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StatusError, KubeClient } from '@virtsim/kube';
import { createLogger, type Logger } from '@virtsim/telemetry';
import { ApiStats } from './api-stats.ts';
import type { LoadtestConfig, PhaseSpec } from './config.ts';
import { LoadtestInputError } from './errors.ts';
import { FleetMetrics } from './fleet-metrics.ts';
import { LiveView, type LiveMode } from './live-view.ts';
import { discoverLocalFleet } from './local-fleet.ts';
import { addPhaseLatencies, measure } from './measurements.ts';
import { runChurn } from './phases/churn.ts';
import { runCleanup } from './phases/cleanup.ts';
import { runCreate } from './phases/create.ts';
import { runDrain } from './phases/drain.ts';
import { runMigrate } from './phases/migrate.ts';
import { runNodeFailure } from './phases/node-failure.ts';
import { ObjectCreator } from './phases/object-creator.ts';
import { runRemove } from './phases/remove.ts';
import { runWait } from './phases/wait.ts';
import { runHold } from './phases/hold.ts';
import { ProcessStats, type WatchedProcess } from './process-stats.ts';
import { describeConfig, slowestVmis, writeReport, type Report } from './report.ts';
import { seededRandom, type PhaseProgress, type PhaseResult, type RunContext } from './run-context.ts';
import { RunTracker } from './run-tracker.ts';
import { Sampler } from './sampler.ts';
import { evaluateThresholds } from './thresholds.ts';
import { reportWaterfalls, type ReportWaterfall } from './trace-waterfalls.ts';
import { startEmbeddedCluster, type EmbeddedCluster, type EmbeddedClusterOptions } from './embedded-cluster.ts';

export interface LoadtestOptions {
  config: LoadtestConfig;
  /** An existing cluster; or `up` to start the embedded one for the run. */
  kubeconfig?: string;
  up?: EmbeddedClusterOptions;
  /** Report folder; default `<state dir>/loadtest/<run id>`. */
  out?: string;
  live: LiveMode;
  seed?: number;
  /** Agents' /metrics URLs when the cluster is not started by the run. */
  metricsUrls?: string[];
  /** Local processes of a cluster not started by the run, whose CPU and RSS the run samples. */
  processes?: WatchedProcess[];
  /** Ctrl-C: stop creating, report what finished, clean up. */
  stop?: AbortSignal;
  /** A second Ctrl-C: skip the cleanup too. */
  abandon?: AbortSignal;
  log?: Logger;
}

export interface LoadtestOutcome {
  report: Report;
  outDir: string;
  files: string[];
  /** 0 when every object reached its goal and every threshold held, 1 otherwise. */
  exitCode: 0 | 1;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-').toLowerCase();

/** Fails fast, before anything is created, on a cluster that cannot take the run. */
async function preflight(client: KubeClient, config: LoadtestConfig): Promise<{ server: string; kubernetes: unknown }> {
  let version: Record<string, unknown>;
  try {
    version = await client.request({ method: 'GET', path: '/version', timeoutMs: 5000 });
  } catch (err) {
    const why = err instanceof StatusError ? `HTTP ${err.code} ${err.message}` : ((err as { code?: string }).code ?? (err as Error).message);
    throw new LoadtestInputError(`cannot reach the cluster at ${client.server.origin}: ${why}`);
  }
  let resources: Array<{ name: string }>;
  try {
    resources = (await client.request<{ resources: Array<{ name: string }> }>({ method: 'GET', path: '/apis/kubevirt.io/v1', timeoutMs: 5000 })).resources;
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) {
      throw new LoadtestInputError(`the cluster at ${client.server.origin} does not serve KubeVirt's API (kubevirt.io/v1): install KubeVirt (or its CRDs and virtsim), or use --up`);
    }
    throw err;
  }
  const want = config.template.kind === 'VirtualMachine' ? 'virtualmachines' : 'virtualmachineinstances';
  for (const r of [want, 'virtualmachineinstances', 'virtualmachineinstancemigrations']) {
    if (!resources.some((x) => x.name === r)) throw new LoadtestInputError(`the cluster at ${client.server.origin} serves kubevirt.io/v1 without ${r}: install KubeVirt's CRDs`);
  }
  return { server: client.server.origin, kubernetes: version.gitVersion ?? null };
}

async function playPhase(ctx: RunContext, creator: ObjectCreator, p: PhaseSpec): Promise<PhaseResult> {
  switch (p.kind) {
    case 'create':
      return runCreate(ctx, creator);
    case 'wait':
      return runWait(ctx, p.timeoutMs);
    case 'hold':
      return runHold(ctx, p.durationMs);
    case 'churn':
      return runChurn(ctx, creator, p);
    case 'migrate':
      return runMigrate(ctx, p);
    case 'node-failure':
      return runNodeFailure(ctx, p);
    case 'drain':
      return runDrain(ctx, p);
    case 'delete':
    case 'stop':
      return runRemove(ctx, p.kind, p.qps, p.timeoutMs);
    case 'cleanup':
      return runCleanup(ctx, p.timeoutMs);
  }
}

/** The span store of the `virtsim up` behind the run: --up's, or the one whose kubeconfig it uses. */
function traceDirOf(opts: LoadtestOptions, kubeconfig: string | undefined): string | undefined {
  if (opts.up) return join(resolve(opts.up.stateDir), 'traces');
  return kubeconfig ? join(dirname(resolve(kubeconfig)), 'traces') : undefined;
}

/** Runs the load test end to end and writes its report. */
export async function runLoadtest(opts: LoadtestOptions): Promise<LoadtestOutcome> {
  const { config } = opts;
  const log = opts.log ?? createLogger('loadtest');
  const live = new LiveView(opts.live);
  const started = new Date();
  let cluster: EmbeddedCluster | undefined;
  const processes: WatchedProcess[] = [{ name: 'loadtest', pid: () => process.pid }, ...(opts.processes ?? [])];
  let metricsUrls = () => opts.metricsUrls ?? [];
  if (opts.up) {
    cluster = await startEmbeddedCluster(opts.up, (line) => live.say(line), log);
    processes.push(...cluster.processes());
    metricsUrls = () => cluster!.agentMetricsUrls();
  }
  const kubeconfig = cluster?.kubeconfig ?? opts.kubeconfig;
  if (!cluster && kubeconfig && !opts.processes && !opts.metricsUrls) {
    // A `virtsim up` on this machine: sample its processes and agents as --up would.
    const local = discoverLocalFleet(resolve(kubeconfig));
    processes.push(...local.processes);
    if (local.metricsUrls.length) metricsUrls = () => local.metricsUrls;
  }
  const client = kubeconfig ? await KubeClient.fromFile(resolve(kubeconfig), { maxSockets: 128 }) : await KubeClient.fromFileOrDefault(undefined, { maxSockets: 128 });
  const runId = `${config.name}-${stamp(started)}-${Math.random().toString(36).slice(2, 6)}`;
  const stateDir = opts.up?.stateDir ?? '.virtsim';
  const outDir = resolve(opts.out ?? join(stateDir, 'loadtest', runId));
  const stopCreating = new AbortController();
  const onStop = () => {
    if (!stopCreating.signal.aborted) live.say(`stopping: no more creates; writing the report for what finished${config.keep ? '' : ' and cleaning up (Ctrl-C again to skip the cleanup)'}`);
    stopCreating.abort();
  };
  opts.stop?.addEventListener('abort', onStop, { once: true });
  if (opts.stop?.aborted) onStop();
  const tracker = new RunTracker(client, runId, log, { vms: config.template.kind === 'VirtualMachine' });
  try {
    const environment = { ...(await preflight(client, config)), virtsim: '0.1.0', node: process.version, host: hostname(), cpus: cpus().length, embedded: !!cluster };
    const api = new ApiStats();
    const progress: PhaseProgress = { phase: 'prepare', done: 0, total: 0, startedAt: Date.now(), qps: 0, burst: 0 };
    const ctx: RunContext = { client, config, runId, tracker, api, log, signal: stopCreating.signal, random: seededRandom(opts.seed ?? started.getTime()), progress };
    const creator = new ObjectCreator(ctx);
    await tracker.start();
    try {
      await creator.dryRun();
    } catch (err) {
      if (err instanceof StatusError && err.code >= 400 && err.code < 500) {
        throw new LoadtestInputError(`the cluster refuses the ${config.template.kind} template (${config.template.source}): ${err.message}`);
      }
      throw err;
    }
    const sampler = new Sampler({ client, tracker, api, progress, fleet: new FleetMetrics(metricsUrls), processes: new ProcessStats(processes), onSample: (s) => live.update(s, progress) });
    sampler.start();
    live.say(`loadtest ${runId}: ${config.count} ${config.template.kind === 'VirtualMachine' ? 'VMs' : 'VMIs'} at ${config.qps}/s (burst ${config.burst}) on ${environment.server}; phases ${config.phases.map((p) => p.kind).join(', ')}; report in ${outDir}`);
    const results: PhaseResult[] = [];
    for (const p of config.phases) {
      if (p.kind === 'cleanup') continue; // last, below, also after Ctrl-C
      if (stopCreating.signal.aborted) break;
      live.say(`phase ${p.kind}...`);
      const r = await playPhase(ctx, creator, p);
      results.push(r);
      live.say(`phase ${p.kind} ${r.ok ? 'done' : 'did not reach its goal'} in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s${r.problems.length ? `: ${r.problems.join('; ')}` : ''}`);
    }
    const cleanupSpec = config.phases.find((p) => p.kind === 'cleanup');
    const interrupted = stopCreating.signal.aborted;
    if (!config.keep && (cleanupSpec || interrupted) && !opts.abandon?.aborted) {
      live.say('phase cleanup...');
      const cleanupCtx = { ...ctx, signal: opts.abandon ?? new AbortController().signal };
      results.push(await runCleanup(cleanupCtx, cleanupSpec?.kind === 'cleanup' ? cleanupSpec.timeoutMs : 600_000, opts.abandon));
    }
    progress.phase = 'report';
    await sampler.stop();
    await tracker.stop();
    live.end();

    const traceDir = traceDirOf(opts, kubeconfig);
    const { report, files } = finishReport({ config, runId, started, environment, results, interrupted, tracker, sampler, creator, outDir, traceDir, log });
    return { report, outDir, files, exitCode: report.passed ? 0 : 1 };
  } finally {
    opts.stop?.removeEventListener('abort', onStop);
    await tracker.stop().catch(() => undefined);
    client.close();
    if (cluster) {
      live.say('stopping the embedded cluster...');
      await cluster.stop();
    }
  }
}

/** What a finished run turns into: measurements, thresholds, the report and its files. */
function finishReport(r: {
  config: LoadtestConfig;
  runId: string;
  started: Date;
  environment: Record<string, unknown>;
  results: PhaseResult[];
  interrupted: boolean;
  tracker: RunTracker;
  sampler: Sampler;
  creator: ObjectCreator;
  outDir: string;
  traceDir?: string;
  log: Logger;
}): { report: Report; files: string[] } {
  const { config, runId, started, environment, results, interrupted, tracker, sampler, creator, outDir } = r;
  const m = measure(tracker.vmis.values(), tracker.migrations.values());
  addPhaseLatencies(m, results);
  const thresholds = evaluateThresholds(config.thresholds, { ...m.podQuantiles, ...m.quantiles });
  const measured = [...tracker.vmis.values()].filter((r) => r.createAckAt !== undefined);
  // Those the run meant to remove are judged by their removal, not by where they ended.
  const notRunning = measured.filter((r) => r.phases.Running === undefined);
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.kind}: ${p}`));
  if (tracker.unknownObjects) problems.push(`${tracker.unknownObjects} objects with this run's label were not created by it`);
  const ended = new Date();
  const report: Report = {
    runId,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    durationSeconds: Math.round((ended.getTime() - started.getTime()) / 100) / 10,
    passed: !interrupted && results.every((r) => r.ok) && notRunning.length === 0 && thresholds.every((t) => t.passed),
    interrupted,
    config: describeConfig(config),
    environment,
    phases: results.map(({ latencies, ...r }) => ({ ...r, startedAt: new Date(r.startedAt).toISOString(), endedAt: new Date(r.endedAt).toISOString(), seconds: Math.round((r.endedAt - r.startedAt) / 100) / 10 })),
    counts: {
      created: measured.length,
      measured: m.perVmi.length,
      reachedRunning: measured.length - notRunning.length,
      notReachedRunning: notRunning.length,
      churnReplacements: measured.filter((r) => r.churnRound > 0).length,
      migrations: tracker.migrations.size,
      createRetries: creator.counters.retries,
      createRefused: creator.refused.size,
    },
    quantiles: m.quantiles,
    podQuantiles: m.podQuantiles,
    thresholds,
    notRunning: notRunning.map((r) => ({ namespace: r.namespace, name: r.name, lastPhase: r.lastPhase, reason: r.lastReason ?? null })),
    slowest: slowestVmis(tracker.vmis.values()),
    processes: {},
    series: sampler.series,
    problems,
  };
  const processTotals = sampler.series.length ? sampler.series[sampler.series.length - 1].processes : undefined;
  for (const [name, p] of Object.entries(processTotals ?? {})) {
    let peak = 0;
    for (const s of sampler.series) peak = Math.max(peak, s.processes?.[name]?.rssMiB ?? 0);
    report.processes[name] = { cpuSeconds: p.cpuSeconds, peakRssMiB: peak };
  }
  // The scatter's time axis starts at the first create, not at the cluster's start-up.
  let t0 = Date.now();
  for (const r of measured) t0 = Math.min(t0, r.createSentAt!);
  const scatter: Array<[number, number]> = [];
  const step = Math.max(1, Math.floor(measured.length / 5000));
  for (let i = 0; i < measured.length; i += step) {
    const r = measured[i];
    if (r.phases.Running !== undefined) scatter.push([Math.round((r.createSentAt! - t0) / 100) / 10, r.phases.Running - r.createSentAt!]);
  }
  let waterfalls: ReportWaterfall[] = [];
  if (r.traceDir && existsSync(r.traceDir)) {
    try {
      waterfalls = reportWaterfalls(r.traceDir, new Set(measured.filter((v) => v.phases.Running !== undefined).map((v) => `${v.namespace}/${v.name}`)));
    } catch (err) {
      r.log.warn({ err, traceDir: r.traceDir }, 'lifecycle traces not readable; the report goes without waterfalls');
    }
  }
  const files = writeReport(outDir, report, m, scatter, waterfalls);
  return { report, files };
}
