import { parseArgs } from 'node:util';
import { createLogger, ShutdownHandler } from '@virtsim/telemetry';
import { COMPONENTS, startControlPlane, type Component } from './control-plane.ts';

const HELP = `usage: virtsim control-plane --kubeconfig FILE [flags]
Stand-ins for kube-scheduler, virt-api (admission) and virt-controller, for a cluster without them.
  --kubeconfig FILE       API server to control
  --only LIST             components to run, comma-separated (default: ${COMPONENTS.join(',')})
  --identity ID           replica identity in the leader Lease (default: host name + random suffix)
  --lease-namespace NS    namespace of the leader Lease (default: kube-system)
  --concurrency N         parallel API writes (default 128)
  --launcher-image IMG    virt-launcher image (default quay.io/kubevirt/virt-launcher:v1.9.0)
  --metrics-host HOST     /metrics and /healthz address (default 127.0.0.1)
  --metrics-port N        (default 0: any free port, logged)`;

export async function runControlPlaneCli(argv: string[]): Promise<number | void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        only: { type: 'string' },
        identity: { type: 'string' },
        'lease-namespace': { type: 'string' },
        concurrency: { type: 'string' },
        'launcher-image': { type: 'string' },
        'metrics-host': { type: 'string' },
        'metrics-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`virtsim control-plane: ${(err as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`virtsim control-plane: --kubeconfig is required\n${HELP}\n`);
    return 2;
  }
  const only = (values.only ?? COMPONENTS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((c) => !COMPONENTS.includes(c as Component));
  if (unknown.length || !only.length) {
    process.stderr.write(`virtsim control-plane: --only: unknown component ${JSON.stringify(unknown[0] ?? '')}; known: ${COMPONENTS.join(', ')}\n`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? 128 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`virtsim control-plane: --concurrency must be a positive integer, got ${values.concurrency}\n`);
    return 2;
  }
  const port = values['metrics-port'] === undefined ? 0 : Number(values['metrics-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`virtsim control-plane: --metrics-port must be a port number, got ${values['metrics-port']}\n`);
    return 2;
  }
  const log = createLogger('control-plane');
  const cp = await startControlPlane({
    kubeconfig: values.kubeconfig,
    components: only as Component[],
    identity: values.identity,
    leaseNamespace: values['lease-namespace'],
    concurrency,
    launcherImage: values['launcher-image'],
    metricsHost: values['metrics-host'],
    metricsPort: port,
    log,
  });
  const shutdown = new ShutdownHandler(log);
  shutdown.add('control-plane', () => cp.close());
  shutdown.installSignalHandlers();
}
