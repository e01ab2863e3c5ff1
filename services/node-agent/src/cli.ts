import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, runService } from '@virtsim/telemetry';
import { startAgent } from './agent.ts';

/** virtsim's default stage sets, at the repository root. */
export const DEFAULT_STAGES = fileURLToPath(new URL('../../../stages', import.meta.url));

const HELP = `usage: virtsim agent --nats URL --coordinator HOST:PORT [--kubeconfig FILE] [flags]
  --kubeconfig FILE          API server to drive (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --nats URL                 NATS server (nats://127.0.0.1:4222)
  --coordinator HOST:PORT    the coordinator's gRPC address
  --identity ID              agent identity (default: host name + random suffix)
  --nodes N                  node pool size (default 100)
  --pool NAME                node pool name, the virtsim.io/pool label (default "default")
  --node-name-pattern PAT    node names, {i} = zero-padded index (default virtsim-node-{i})
  --stages PATH              stage file or folder, repeatable (default: the repo's stages/)
  --stages-from-cluster      play the cluster's Stage objects instead, reloaded on every change
  --write-concurrency N      parallel API writes (default 32)
  --lease-duration-seconds N node Lease duration, renewed every N/4 s (default 40, the kubelet's)
  --metrics-host HOST        /metrics and /healthz address (default 127.0.0.1)
  --metrics-port N           (default 0: any free port, logged)`;

export async function runAgentCli(argv: string[]): Promise<number | void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      nats: { type: 'string' },
      coordinator: { type: 'string' },
      identity: { type: 'string' },
      nodes: { type: 'string' },
      pool: { type: 'string' },
      'node-name-pattern': { type: 'string' },
      stages: { type: 'string', multiple: true },
      'stages-from-cluster': { type: 'boolean' },
      'write-concurrency': { type: 'string' },
      'lease-duration-seconds': { type: 'string' },
      'metrics-host': { type: 'string' },
      'metrics-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.nats || !values.coordinator) {
    process.stderr.write(`virtsim agent: --nats and --coordinator are required\n${HELP}\n`);
    return 2;
  }
  const count = values.nodes === undefined ? 100 : Number(values.nodes);
  if (!Number.isInteger(count) || count < 0) {
    process.stderr.write(`virtsim agent: --nodes must be a non-negative integer, got ${values.nodes}\n`);
    return 2;
  }
  const log = createLogger('node-agent');
  const { nats, coordinator } = values;
  const options = {
    kubeconfig: values.kubeconfig,
    natsUrl: nats,
    coordinator,
    identity: values.identity,
    pool: { name: values.pool ?? 'default', count, namePattern: values['node-name-pattern'] },
    stagePaths: values.stages?.length ? values.stages : [DEFAULT_STAGES],
    stagesFromCluster: values['stages-from-cluster'],
    writeConcurrency: values['write-concurrency'] ? Number(values['write-concurrency']) : undefined,
    leaseDurationSeconds: values['lease-duration-seconds'] ? Number(values['lease-duration-seconds']) : undefined,
    metricsHost: values['metrics-host'],
    metricsPort: values['metrics-port'] ? Number(values['metrics-port']) : 0,
    log,
  };
  await runService('node-agent', log, () => startAgent(options));
}
