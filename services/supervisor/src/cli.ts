import { readFlags } from '@virtsim/telemetry';
import { ChildStartError } from './managed-child.ts';
import { DEFAULT_STAGES, STAND_INS, UpError, up, type StandIn } from './up.ts';

const HELP = `usage: virtsim up [flags]
Runs the whole simulated cluster on this machine: the embedded API server, nats-server, the
coordinator, the watcher, N agents and the control-plane stand-ins. Ctrl-C stops everything.
  --nodes N            fake nodes (default 100)
  --agents N           node agents (default 2)
  --stages PATH        stage file or folder, repeatable (default: the repo's stages/)
  --state-dir DIR      kubeconfig, logs and API data (default .virtsim)
  --port N             embedded API server port (default 6443)
  --durability MODE    embedded API server: fsync (default), batch or none (see virtsim apiserver -h)
  --nats-port N        NATS port (default 4222)
  --lease-duration-seconds N  node Lease duration, renewed every N/4 s (default 40, the kubelet's;
                       more is fewer heartbeat writes: density over fidelity)
  --kubeconfig FILE    run the fleet against an existing cluster (no embedded API server,
                       stand-ins off unless --control-plane)
  --control-plane      run the control-plane stand-ins (default: on when embedded)
  --no-control-plane   do not
  --stand-ins LIST     which stand-ins run, comma-separated: scheduler, virt-api, virt-controller
                       (default all three; e.g. scheduler beside KubeVirt's own virt-api and
                       virt-controller, see the README)
  --kubevirt-bin-dir DIR  run KubeVirt's own virt-api and virt-controller from DIR (built from
                       KubeVirt's sources; DIR also holds virt-operator, asked for what it would
                       install) in place of their stand-ins, each as its own service account;
                       the scheduler stand-in stays. VIRT_OPERATOR_IMAGE sets the version
                       reported (default quay.io/kubevirt/virt-operator:v0.59.0)
  --insecure           plaintext NATS and gRPC without credentials (by default up generates a
                       NATS token, a CA and certificates in <state-dir>/secrets: NATS over TLS
                       with the token, mTLS between agents and coordinator)
  --trace-sample R     fraction of VMIs and migrations traced, 0..1 (default: OTEL_TRACES_SAMPLER_ARG,
                       else 1 up to 1,000 nodes and 0.01 above); spans kept in <state-dir>/traces
  --no-trace-store     keep no spans locally (OTLP export through OTEL_* variables still works)
  --fault-write-error-rate R, --fault-watch-cut-every D, --fault-start D, --fault-duration D,
  --fault-seed N, --fault-timeout-delay D
                       the embedded API server's fault mode (chaos runs; off by default), passed
                       to it as they are: see virtsim apiserver -h`;

/** The flags, typed: a bad value is refused with one line naming the flag (exit 2). */
const FLAGS = {
  nodes: { type: 'int', default: 100 },
  agents: { type: 'int', min: 1, default: 2 },
  stages: { type: 'strings' },
  'state-dir': { type: 'string', default: '.virtsim' },
  port: { type: 'port', default: 6443 },
  durability: { type: 'choice', choices: ['fsync', 'batch', 'none'] },
  'nats-port': { type: 'port', default: 4222 },
  'lease-duration-seconds': { type: 'int', min: 1 },
  kubeconfig: { type: 'string' },
  'control-plane': { type: 'boolean' },
  'no-control-plane': { type: 'boolean' },
  'stand-ins': { type: 'string' },
  'kubevirt-bin-dir': { type: 'string' },
  insecure: { type: 'boolean' },
  'trace-sample': { type: 'string' },
  'no-trace-store': { type: 'boolean' },
  'fault-write-error-rate': { type: 'ratio' },
  'fault-watch-cut-every': { type: 'duration', unit: 's', min: 100 },
  'fault-start': { type: 'duration', unit: 's' },
  'fault-duration': { type: 'duration', unit: 's' },
  'fault-seed': { type: 'int' },
  'fault-timeout-delay': { type: 'duration', unit: 's' },
  help: { type: 'boolean', short: 'h' },
} as const;

function ratio(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UpError(`--${name} must be a ratio between 0 and 1, got ${JSON.stringify(v)}`);
  return n;
}

function standInList(v: string | undefined): StandIn[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.find((s) => !(STAND_INS as readonly string[]).includes(s));
  if (unknown !== undefined || !list.length) throw new UpError(`--stand-ins: unknown stand-in ${JSON.stringify(unknown ?? v)}; known: ${STAND_INS.join(', ')}`);
  return list as StandIn[];
}

export async function runUpCli(argv: string[]): Promise<number | void> {
  const flags = readFlags('virtsim up', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  let traceSample: number | undefined;
  let standIns: StandIn[] | undefined;
  try {
    traceSample = ratio('trace-sample', values['trace-sample']);
    standIns = standInList(values['stand-ins']);
  } catch (err) {
    process.stderr.write(`virtsim up: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  let fleet;
  try {
    fleet = await up(
      {
        nodes: values.nodes,
        agents: values.agents,
        stages: values.stages?.length ? values.stages : [DEFAULT_STAGES],
        stateDir: values['state-dir'],
        apiPort: values.port,
        durability: values.durability,
        natsPort: values['nats-port'],
        leaseDurationSeconds: values['lease-duration-seconds'],
        kubeconfig: values.kubeconfig,
        controlPlane: values['no-control-plane'] ? false : values['control-plane'] || (standIns ? true : undefined),
        standIns,
        kubevirtBinDir: values['kubevirt-bin-dir'],
        insecure: values.insecure,
        traceSample,
        traceStore: !values['no-trace-store'],
        apiFaults: {
          writeErrorRate: values['fault-write-error-rate'],
          watchCutEveryMs: values['fault-watch-cut-every'],
          startMs: values['fault-start'],
          durationMs: values['fault-duration'],
          seed: values['fault-seed'],
          timeoutDelayMs: values['fault-timeout-delay'],
        },
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
    process.on('SIGHUP', onSignal);
  });
  return 0;
}
