import { fileURLToPath } from 'node:url';
import { NATS_AUTH_FLAGS, NATS_AUTH_HELP, readNatsAuth } from '@virtsim/bus';
import { createLogger, FlagError, loadTlsFiles, metricsFlags, readFlags, runService } from '@virtsim/telemetry';
import { startAgent } from './agent.ts';

/** virtsim's default stage sets, at the repository root. */
export const DEFAULT_STAGES = fileURLToPath(new URL('../../../stages', import.meta.url));

const HELP = `usage: virtsim agent --nats URL --coordinator HOST:PORT [--kubeconfig FILE] [flags]
  --kubeconfig FILE          API server to drive (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --nats URL                 NATS server (nats://127.0.0.1:4222; default $NATS_URL)
  --coordinator HOST:PORT    the coordinator's gRPC address
  --coordinator-tls-ca FILE  the coordinator serves TLS: trust this CA (PEM)
  --coordinator-tls-cert FILE  mTLS: this agent's certificate (PEM), with --coordinator-tls-key FILE
  --coordinator-tls-server-name NAME  name checked against the coordinator's certificate (default: the host)
  --identity ID              agent identity (default: host name + random suffix)
  --nodes N                  node pool size (default 100)
  --pool NAME                node pool name, the virtsim.io/pool label (default "default")
  --node-name-pattern PAT    node names, {i} = zero-padded index (default virtsim-node-{i})
  --stages PATH              stage file or folder, repeatable (default: the repo's stages/)
  --stages-from-cluster      play the cluster's Stage objects instead, reloaded on every change
  --write-concurrency N      parallel API writes per lane: stage writes, and Lease renewals apart (default 128)
  --lease-duration-seconds N node Lease duration, renewed every N/4 s (default 40, the kubelet's)
  --metrics-host HOST        /metrics and /healthz address (default 127.0.0.1)
  --metrics-port N           (default 0: any free port, logged)
NATS credentials and TLS (from files only; none: plaintext without auth):
${NATS_AUTH_HELP}`;

/** The flags, typed: a bad value is refused with one line naming the flag (exit 2). */
const FLAGS = {
  kubeconfig: { type: 'string' },
  nats: { type: 'string' },
  coordinator: { type: 'string' },
  identity: { type: 'string' },
  nodes: { type: 'int', default: 100 },
  pool: { type: 'string', default: 'default' },
  'node-name-pattern': { type: 'string' },
  stages: { type: 'strings' },
  'stages-from-cluster': { type: 'boolean' },
  'write-concurrency': { type: 'int', min: 1 },
  'lease-duration-seconds': { type: 'int', min: 1 },
  'coordinator-tls-ca': { type: 'string' },
  'coordinator-tls-cert': { type: 'string' },
  'coordinator-tls-key': { type: 'string' },
  'coordinator-tls-server-name': { type: 'string' },
  ...NATS_AUTH_FLAGS,
  ...metricsFlags(),
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runAgentCli(argv: string[]): Promise<number | void> {
  const flags = readFlags('virtsim agent', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const nats = values.nats ?? (process.env.NATS_URL || undefined);
  const { coordinator } = values;
  if (!nats || !coordinator) {
    process.stderr.write(`virtsim agent: --nats and --coordinator are required\n${HELP}\n`);
    return 2;
  }
  let natsAuth, coordinatorTls;
  try {
    natsAuth = readNatsAuth(values);
    const files = loadTlsFiles(
      { ca: 'coordinator-tls-ca', cert: 'coordinator-tls-cert', key: 'coordinator-tls-key' },
      { ca: values['coordinator-tls-ca'], cert: values['coordinator-tls-cert'], key: values['coordinator-tls-key'] },
    );
    coordinatorTls = files && { ...files, serverName: values['coordinator-tls-server-name'] };
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`virtsim agent: ${err.message}\n`);
    return 2;
  }
  const log = createLogger('node-agent');
  const options = {
    kubeconfig: values.kubeconfig,
    natsUrl: nats,
    natsAuth,
    coordinator,
    coordinatorTls,
    identity: values.identity,
    pool: { name: values.pool, count: values.nodes, namePattern: values['node-name-pattern'] },
    stagePaths: values.stages?.length ? values.stages : [DEFAULT_STAGES],
    stagesFromCluster: values['stages-from-cluster'],
    writeConcurrency: values['write-concurrency'],
    leaseDurationSeconds: values['lease-duration-seconds'],
    metricsHost: values['metrics-host'],
    metricsPort: values['metrics-port'],
    log,
  };
  await runService('node-agent', log, () => startAgent(options));
}
