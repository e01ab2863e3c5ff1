import { parseArgs } from 'node:util';
import { ChildStartError, UpError } from '@virtsim/supervisor';
import { createLogger } from '@virtsim/telemetry';
import { loadConfig, type ConfigOverrides } from './config.ts';
import { describeThreshold } from './thresholds.ts';
import { formatMs, parseDuration } from './durations.ts';
import { LoadtestInputError } from './errors.ts';
import { runLoadtest } from './run.ts';

const HELP = `usage: virtsim loadtest [--config FILE] (--kubeconfig FILE | --up [cluster flags]) [flags]
Creates VMIs (or VMs) at a rate, plays the configured phases (create, wait, churn, migrate,
node-failure, delete/stop, cleanup), measures kube-burner's latencies from watch events and writes
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

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new LoadtestInputError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new LoadtestInputError(`--${name}: expected a number > 0, got ${JSON.stringify(v)}`);
  return n;
}

export async function runLoadtestCli(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        kubeconfig: { type: 'string' },
        up: { type: 'boolean' },
        nodes: { type: 'string' },
        agents: { type: 'string' },
        'state-dir': { type: 'string' },
        port: { type: 'string' },
        'nats-port': { type: 'string' },
        template: { type: 'string' },
        count: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'objects-per-namespace': { type: 'string' },
        phases: { type: 'string' },
        timeout: { type: 'string' },
        threshold: { type: 'string', multiple: true },
        out: { type: 'string' },
        metrics: { type: 'string', multiple: true },
        seed: { type: 'string' },
        keep: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`virtsim loadtest: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const stop = new AbortController();
  const abandon = new AbortController();
  const onSignal = () => (stop.signal.aborted ? abandon.abort() : stop.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (values.up && values.kubeconfig) throw new LoadtestInputError('--up and --kubeconfig: pick one (--up starts its own cluster)');
    if (!values.up) for (const f of ['nodes', 'agents', 'port', 'nats-port'] as const) if (values[f] !== undefined) throw new LoadtestInputError(`--${f} is a flag of --up (the embedded cluster); add --up or drop it`);
    const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout);
    if (values.timeout !== undefined && timeout === undefined) throw new LoadtestInputError(`--timeout: expected a duration such as 10m or 30s, got ${JSON.stringify(values.timeout)}`);
    const overrides: ConfigOverrides = {
      template: values.template,
      count: int('count', values.count, 1),
      rate: positive('rate', values.rate),
      burst: int('burst', values.burst, 1),
      objectsPerNamespace: int('objects-per-namespace', values['objects-per-namespace'], 1),
      phases: values.phases,
      timeoutMs: timeout,
      thresholds: values.threshold,
      keep: values.keep ? true : undefined,
    };
    const config = loadConfig(values.config, overrides);
    const log = createLogger('loadtest');
    log.level = process.env.VIRTSIM_LOG_LEVEL ?? 'error';
    const outcome = await runLoadtest({
      config,
      kubeconfig: values.kubeconfig,
      up: values.up
        ? { nodes: int('nodes', values.nodes, 1) ?? 100, agents: int('agents', values.agents, 1) ?? 2, stateDir: values['state-dir'] ?? '.virtsim', apiPort: int('port', values.port, 1) ?? 6443, natsPort: int('nats-port', values['nats-port'], 1) ?? 4222 }
        : undefined,
      out: values.out,
      live: values.json ? 'quiet' : process.stdout.isTTY ? 'tty' : 'lines',
      seed: int('seed', values.seed, 0),
      metricsUrls: values.metrics,
      stop: stop.signal,
      abandon: abandon.signal,
      log,
    });
    const { report } = outcome;
    if (values.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
    } else {
      const out = (s: string) => process.stdout.write(s + '\n');
      out(`\n${report.passed ? 'PASSED' : 'FAILED'}: ${report.counts.created} created, ${report.counts.reachedRunning} reached Running, ${report.counts.notReachedRunning} did not, in ${report.durationSeconds} s`);
      for (const name of ['VMIScheduled', 'VMIRunning', 'VMReady', 'PodReady', 'VMIMSucceeded', 'VMIDeleted', 'VMStopped']) {
        const q = report.quantiles[name];
        if (q) out(`  ${name.padEnd(14)} P50 ${formatMs(q.P50)}  P95 ${formatMs(q.P95)}  P99 ${formatMs(q.P99)}  max ${formatMs(q.max)}  (${q.count})`);
      }
      for (const t of report.thresholds) out(`  ${describeThreshold(t)}`);
      for (const r of report.notRunning.slice(0, 20)) out(`  never Running: ${r.namespace}/${r.name} (last phase ${r.lastPhase}${r.reason ? `, ${r.reason}` : ''})`);
      if (report.notRunning.length > 20) out(`  … and ${report.notRunning.length - 20} more (report.json lists them all)`);
      for (const p of report.problems) out(`  problem: ${p}`);
      out(`  report: ${outcome.outDir}/report.html`);
    }
    return outcome.exitCode;
  } catch (err) {
    if (err instanceof LoadtestInputError || err instanceof UpError) {
      process.stderr.write(`virtsim loadtest: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ChildStartError) {
      process.stderr.write(`virtsim loadtest: ${err.message}; its last lines:\n${err.tail.map((l) => `  ${l}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
