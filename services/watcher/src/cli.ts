import { NATS_AUTH_FLAGS, NATS_AUTH_HELP, readNatsAuth } from '@virtsim/bus';
import { createLogger, FlagError, metricsFlags, readFlags, runService } from '@virtsim/telemetry';
import { startWatcher } from './watcher.ts';

const HELP = `usage: virtsim watcher --nats URL [--kubeconfig FILE] [flags]
  --kubeconfig FILE       API server to watch (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --nats URL              NATS server (nats://127.0.0.1:4222; default $NATS_URL)
  --identity ID           replica identity in the leader Lease (default: host name + random suffix)
  --node-selector SEL     label selector of managed Nodes (default: virtsim.io/pool)
  --lease-namespace NS    namespace of the leader Lease (default: kube-system)
  --lease-duration-seconds N  a crashed leader's standby takes over after N s (default 5)
  --metrics-host HOST     /metrics and /healthz address (default 127.0.0.1)
  --metrics-port N        (default 0: any free port, logged)
NATS credentials and TLS (from files only; none: plaintext without auth):
${NATS_AUTH_HELP}`;

/** The flags, typed: a bad value is refused with one line naming the flag (exit 2). */
const FLAGS = {
  kubeconfig: { type: 'string' },
  nats: { type: 'string' },
  identity: { type: 'string' },
  'node-selector': { type: 'string' },
  'lease-namespace': { type: 'string' },
  'lease-duration-seconds': { type: 'int', min: 1 },
  ...NATS_AUTH_FLAGS,
  ...metricsFlags(),
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runWatcherCli(argv: string[]): Promise<number | void> {
  const flags = readFlags('virtsim watcher', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const nats = values.nats ?? (process.env.NATS_URL || undefined);
  if (!nats) {
    process.stderr.write(`virtsim watcher: --nats is required\n${HELP}\n`);
    return 2;
  }
  let natsAuth;
  try {
    natsAuth = readNatsAuth(values);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`virtsim watcher: ${err.message}\n`);
    return 2;
  }
  const log = createLogger('watcher');
  const options = {
    kubeconfig: values.kubeconfig,
    natsUrl: nats,
    natsAuth,
    identity: values.identity,
    nodeSelector: values['node-selector'],
    leaseNamespace: values['lease-namespace'],
    leaseDurationSeconds: values['lease-duration-seconds'],
    metricsHost: values['metrics-host'],
    metricsPort: values['metrics-port'],
    log,
  };
  await runService('watcher', log, () => startWatcher(options));
}
