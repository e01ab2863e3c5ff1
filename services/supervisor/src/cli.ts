import { parseArgs } from 'node:util';
import { ChildStartError } from './managed-child.ts';
import { DEFAULT_STAGES, UpError, up } from './up.ts';

const HELP = `usage: virtsim up [flags]
Runs the whole simulated cluster on this machine: the embedded API server, nats-server, the
coordinator, the watcher, N agents and the control-plane stand-ins. Ctrl-C stops everything.
  --nodes N            fake nodes (default 100)
  --agents N           node agents (default 2)
  --stages PATH        stage file or folder, repeatable (default: the repo's stages/)
  --state-dir DIR      kubeconfig, logs and API data (default .virtsim)
  --port N             embedded API server port (default 6443)
  --nats-port N        NATS port (default 4222)
  --kubeconfig FILE    run the fleet against an existing cluster (no embedded API server,
                       stand-ins off unless --control-plane)
  --control-plane      run the control-plane stand-ins (default: on when embedded)
  --no-control-plane   do not
  --trace-sample R     fraction of VMIs and migrations traced, 0..1 (default: OTEL_TRACES_SAMPLER_ARG,
                       else 1 up to 1,000 nodes and 0.01 above); spans kept in <state-dir>/traces
  --no-trace-store     keep no spans locally (OTLP export through OTEL_* variables still works)`;

function int(name: string, v: string | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UpError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function ratio(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UpError(`--${name} must be a ratio between 0 and 1, got ${JSON.stringify(v)}`);
  return n;
}

export async function runUpCli(argv: string[]): Promise<number | void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      agents: { type: 'string' },
      stages: { type: 'string', multiple: true },
      'state-dir': { type: 'string' },
      port: { type: 'string' },
      'nats-port': { type: 'string' },
      kubeconfig: { type: 'string' },
      'control-plane': { type: 'boolean' },
      'no-control-plane': { type: 'boolean' },
      'trace-sample': { type: 'string' },
      'no-trace-store': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  let fleet;
  try {
    fleet = await up(
      {
        nodes: int('nodes', values.nodes, 100),
        agents: int('agents', values.agents, 2, 1),
        stages: values.stages?.length ? values.stages : [DEFAULT_STAGES],
        stateDir: values['state-dir'] ?? '.virtsim',
        apiPort: int('port', values.port, 6443, 1),
        natsPort: int('nats-port', values['nats-port'], 4222, 1),
        kubeconfig: values.kubeconfig,
        controlPlane: values['no-control-plane'] ? false : values['control-plane'],
        traceSample: ratio('trace-sample', values['trace-sample']),
        traceStore: !values['no-trace-store'],
      },
      print,
    );
  } catch (err) {
    if (err instanceof UpError) {
      process.stderr.write(`virtsim up: ${err.message}\n`);
      return 1;
    }
    if (err instanceof ChildStartError) {
      process.stderr.write(`virtsim up: ${err.message}; its last lines:\n${err.tail.map((l) => `  ${l}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      print('\nvirtsim: stopping...');
      void fleet.stop().then(() => {
        print('virtsim: stopped');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}
