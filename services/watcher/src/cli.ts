import { parseArgs } from 'node:util';
import { createLogger, runService } from '@virtsim/telemetry';
import { startWatcher } from './watcher.ts';

const HELP = `usage: virtsim watcher --nats URL [--kubeconfig FILE] [flags]
  --kubeconfig FILE       API server to watch (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --nats URL              NATS server (nats://127.0.0.1:4222)
  --identity ID           replica identity in the leader Lease (default: host name + random suffix)
  --node-selector SEL     label selector of managed Nodes (default: virtsim.io/pool)
  --lease-namespace NS    namespace of the leader Lease (default: kube-system)
  --lease-duration-seconds N  a crashed leader's standby takes over after N s (default 5)
  --metrics-host HOST     /metrics and /healthz address (default 127.0.0.1)
  --metrics-port N        (default 0: any free port, logged)`;

export async function runWatcherCli(argv: string[]): Promise<number | void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      nats: { type: 'string' },
      identity: { type: 'string' },
      'node-selector': { type: 'string' },
      'lease-namespace': { type: 'string' },
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
  if (!values.nats) {
    process.stderr.write(`virtsim watcher: --nats is required\n${HELP}\n`);
    return 2;
  }
  const log = createLogger('watcher');
  const options = {
    kubeconfig: values.kubeconfig,
    natsUrl: values.nats,
    identity: values.identity,
    nodeSelector: values['node-selector'],
    leaseNamespace: values['lease-namespace'],
    leaseDurationSeconds: values['lease-duration-seconds'] ? Number(values['lease-duration-seconds']) : undefined,
    metricsHost: values['metrics-host'],
    metricsPort: values['metrics-port'] ? Number(values['metrics-port']) : 0,
    log,
  };
  await runService('watcher', log, () => startWatcher(options));
}
