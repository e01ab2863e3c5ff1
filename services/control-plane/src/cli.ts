import { createLogger, metricsFlags, readFlags, ShutdownHandler } from '@virtsim/telemetry';
import { COMPONENTS, startControlPlane, type Component } from './control-plane.ts';

const HELP = `usage: virtsim control-plane --kubeconfig FILE [flags]
Stand-ins for kube-scheduler, virt-api (admission) and virt-controller, for a cluster without them.
  --kubeconfig FILE       API server to control
  --only LIST             components to run, comma-separated (default: ${COMPONENTS.join(',')})
  --identity ID           replica identity in the leader Lease (default: host name + random suffix)
  --lease-namespace NS    namespace of the leader Lease (default: kube-system)
  --concurrency N         parallel API writes (default 512)
  --launcher-image IMG    virt-launcher image (default quay.io/kubevirt/virt-launcher:v1.9.0)
  --eviction-webhook      serve virt-api's pods/eviction webhook on 127.0.0.1 and register it, so
                          kubectl drain live-migrates VMIs (for an API server on this host: on
                          under \`virtsim up\` without --kubeconfig; default off)
  --metrics-host HOST     /metrics and /healthz address (default 127.0.0.1)
  --metrics-port N        (default 0: any free port, logged)`;

/** The flags, typed: a bad value is refused with one line naming the flag (exit 2). */
const FLAGS = {
  kubeconfig: { type: 'string' },
  only: { type: 'string', default: COMPONENTS.join(',') },
  identity: { type: 'string' },
  'lease-namespace': { type: 'string' },
  concurrency: { type: 'int', min: 1, default: 512 },
  'launcher-image': { type: 'string' },
  'eviction-webhook': { type: 'boolean' },
  ...metricsFlags(),
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runControlPlaneCli(argv: string[]): Promise<number | void> {
  const flags = readFlags('virtsim control-plane', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`virtsim control-plane: --kubeconfig is required\n${HELP}\n`);
    return 2;
  }
  const only = values.only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((c) => !COMPONENTS.includes(c as Component));
  if (unknown.length || !only.length) {
    process.stderr.write(`virtsim control-plane: --only: unknown component ${JSON.stringify(unknown[0] ?? '')}; known: ${COMPONENTS.join(', ')}\n`);
    return 2;
  }
  const log = createLogger('control-plane');
  const cp = await startControlPlane({
    kubeconfig: values.kubeconfig,
    components: only as Component[],
    identity: values.identity,
    leaseNamespace: values['lease-namespace'],
    concurrency: values.concurrency,
    launcherImage: values['launcher-image'],
    evictionWebhook: values['eviction-webhook'] ?? false,
    metricsHost: values['metrics-host'],
    metricsPort: values['metrics-port'],
    log,
  });
  const shutdown = new ShutdownHandler(log);
  shutdown.add('control-plane', () => cp.close());
  shutdown.installSignalHandlers();
}
