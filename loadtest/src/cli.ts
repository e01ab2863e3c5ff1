import { ChildStartError, UpError } from '@virtsim/supervisor';
import { createLogger, readFlags, type FlagValues } from '@virtsim/telemetry';
import { loadConfig, type ConfigOverrides } from './config.ts';
import { describeThreshold } from './thresholds.ts';
import { formatMs, parseDuration } from './durations.ts';
import { LoadtestInputError } from './errors.ts';
import { runLoadtest, type LoadtestOutcome } from './run.ts';

const HELP = `usage: virtsim loadtest [--config FILE] (--kubeconfig FILE | --up [cluster flags]) [flags]
Creates VMIs (or VMs) at a rate, plays the configured phases (create, wait, hold, churn, migrate,
node-failure, drain, delete/stop, cleanup), measures kube-burner's latencies from watch events and writes
report.json, kube-burner's documents and a self-contained report.html.
  --config FILE          run description (YAML); the flags below override it
  --kubeconfig FILE      the cluster to load (default: $KUBECONFIG or ~/.kube/config)
  --up                   start the embedded cluster for the run and stop it at the end
    --nodes N            fake nodes (default 100)     --agents N      node agents (default 2)
    --state-dir DIR      (default .virtsim)            --port N        API port (default 6443)
    --nats-port N        (default 4222)
  --template T           vmi | vm | FILE (a VirtualMachineInstance or VirtualMachine; default vmi)
  --count N              objects to create (default 100)
  --rate QPS             creates per second (default 20)    --burst N   (default: rate)
  --objects-per-namespace N                                 (default 1000)
  --phases LIST          comma-separated, e.g. create,wait,migrate,delete,cleanup
  --timeout DURATION     how long wait phases wait for Running (default 10m)
  --threshold NAME:STAT<DURATION   e.g. VMIRunning:P99<2s; repeatable; exit 1 if one fails
  --out DIR              report folder (default <state dir>/loadtest/<run id>)
  --metrics URL          an agent's /metrics (repeatable; automatic with --up)
  --seed N               seed for picking VMIs and nodes (default: the start time)
  --keep                 leave the objects in place (no cleanup, also after Ctrl-C)
  --json                 print only the final report (JSON) on stdout
Exit: 0 every object reached its goal and every threshold held; 1 otherwise; 2 bad input.`;

/** The flags, typed (a bad int or port is refused naming the flag); the run's YAML fills the rest. */
const FLAGS = {
  config: { type: 'string' },
  kubeconfig: { type: 'string' },
  up: { type: 'boolean' },
  nodes: { type: 'int', min: 1 },
  agents: { type: 'int', min: 1 },
  'state-dir': { type: 'string' },
  port: { type: 'port' },
  'nats-port': { type: 'port' },
  template: { type: 'string' },
  count: { type: 'int', min: 1 },
  rate: { type: 'string' },
  burst: { type: 'int', min: 1 },
  'objects-per-namespace': { type: 'int', min: 1 },
  phases: { type: 'string' },
  timeout: { type: 'string' },
  threshold: { type: 'strings' },
  out: { type: 'string' },
  metrics: { type: 'strings' },
  seed: { type: 'int' },
  keep: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = FlagValues<typeof FLAGS>;

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new LoadtestInputError(`--${name}: expected a number > 0, got ${JSON.stringify(v)}`);
  return n;
}

/** The flags that override the run's YAML, checked. */
function overridesFrom(values: Flags): ConfigOverrides {
  if (values.up && values.kubeconfig) throw new LoadtestInputError('--up and --kubeconfig: pick one (--up starts its own cluster)');
  if (!values.up) for (const f of ['nodes', 'agents', 'port', 'nats-port'] as const) if (values[f] !== undefined) throw new LoadtestInputError(`--${f} is a flag of --up (the embedded cluster); add --up or drop it`);
  const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  if (values.timeout !== undefined && timeout === undefined) throw new LoadtestInputError(`--timeout: expected a duration such as 10m or 30s, got ${JSON.stringify(values.timeout)}`);
  return {
    template: values.template,
    count: values.count,
    rate: positive('rate', values.rate),
    burst: values.burst,
    objectsPerNamespace: values['objects-per-namespace'],
    phases: values.phases,
    timeoutMs: timeout,
    thresholds: values.threshold,
    keep: values.keep ? true : undefined,
  };
}

/** The embedded cluster `--up` starts, with `virtsim up`'s defaults. */
function upFrom(values: Flags) {
  if (!values.up) return undefined;
  return { nodes: values.nodes ?? 100, agents: values.agents ?? 2, stateDir: values['state-dir'] ?? '.virtsim', apiPort: values.port ?? 6443, natsPort: values['nats-port'] ?? 4222 };
}

/** The end of a run for people: the verdict, the main quantiles, what failed and where the report is. */
function printSummary(outcome: LoadtestOutcome): void {
  const { report } = outcome;
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`\n${report.passed ? 'PASSED' : 'FAILED'}: ${report.counts.created} created, ${report.counts.reachedRunning} reached Running, ${report.counts.notReachedRunning} did not, in ${report.durationSeconds} s`);
  for (const name of ['VMIScheduled', 'VMIRunning', 'VMReady', 'PodReady', 'VMIMSucceeded', 'VMIDeleted', 'VMStopped', 'DrainNode', 'VMIEvacuated']) {
    const q = report.quantiles[name];
    if (q) out(`  ${name.padEnd(14)} P50 ${formatMs(q.P50)}  P95 ${formatMs(q.P95)}  P99 ${formatMs(q.P99)}  max ${formatMs(q.max)}  (${q.count})`);
  }
  for (const p of report.phases.filter((x) => x.kind === 'drain')) {
    const d = p.summary as { nodesDrained: number; nodesChosen: number; vmisAffected: number; migrated: number; evictedDirectly: number; failed: number; timedOut: number };
    out(`  drain: ${d.nodesDrained} of ${d.nodesChosen} nodes drained; ${d.vmisAffected} VMIs: ${d.migrated} migrated, ${d.evictedDirectly} evicted, ${d.failed} failed, ${d.timedOut} timed out`);
  }
  for (const t of report.thresholds) out(`  ${describeThreshold(t)}`);
  for (const r of report.notRunning.slice(0, 20)) out(`  never Running: ${r.namespace}/${r.name} (last phase ${r.lastPhase}${r.reason ? `, ${r.reason}` : ''})`);
  if (report.notRunning.length > 20) out(`  … and ${report.notRunning.length - 20} more (report.json lists them all)`);
  for (const p of report.problems) out(`  problem: ${p}`);
  out(`  report: ${outcome.outDir}/report.html`);
}

/** A run's failure for people: bad input exits 2, a cluster that did not start 1; anything else is a bug. */
function reportFailure(err: unknown): number {
  if (err instanceof LoadtestInputError || err instanceof UpError) {
    process.stderr.write(`virtsim loadtest: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ChildStartError) {
    process.stderr.write(`virtsim loadtest: ${err.message}; its last lines:\n${err.tail.map((l) => `  ${l}`).join('\n')}\n`);
    return 1;
  }
  throw err;
}

export async function runLoadtestCli(argv: string[]): Promise<number> {
  const flags = readFlags('virtsim loadtest', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  // Ctrl-C stops the run (and reports); a second one abandons the cleanup.
  const stop = new AbortController();
  const abandon = new AbortController();
  const onSignal = () => (stop.signal.aborted ? abandon.abort() : stop.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const config = loadConfig(values.config, overridesFrom(values));
    const log = createLogger('loadtest');
    log.level = process.env.VIRTSIM_LOG_LEVEL ?? 'error';
    const outcome = await runLoadtest({
      config,
      kubeconfig: values.kubeconfig,
      up: upFrom(values),
      out: values.out,
      live: values.json ? 'quiet' : process.stdout.isTTY ? 'tty' : 'lines',
      seed: values.seed,
      metricsUrls: values.metrics,
      stop: stop.signal,
      abandon: abandon.signal,
      log,
    });
    if (values.json) process.stdout.write(JSON.stringify(outcome.report) + '\n');
    else printSummary(outcome);
    return outcome.exitCode;
  } catch (err) {
    return reportFailure(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
