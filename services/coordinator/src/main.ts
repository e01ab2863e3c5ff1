import { parseArgs } from 'node:util';
import { createLogger, createRegistry, startOpsEndpoint, ShutdownHandler } from '@virtsim/telemetry';
import { startCoordinatorServer } from './server.ts';

const USAGE = `usage: virtsim coordinator [flags]
       virtsim coordinator table [--address HOST:PORT] [--json]

Serves agent membership and the slot table over gRPC (virtsim.fleet.v1.Coordinator, grpc.health.v1).

flags:
  --host HOST          address to bind gRPC and /metrics on (default 127.0.0.1)
  --port N             gRPC port (default 7400; 0 picks a free one)
  --ttl-ms N           agent membership TTL in ms (default 10000)
  --settle-ms N        after start, only record re-joining agents' claims for this long (default: the TTL)
  --metrics-port N     port for /metrics and /healthz (default 7401; 0 picks a free one)
  -h, --help           this text
`;

function intFlag(name: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: ${JSON.stringify(value)} is not a non-negative integer`);
  return n;
}

/** `virtsim coordinator`: runs until SIGTERM/SIGINT. `virtsim coordinator table` prints the table. */
export async function runCoordinator(argv: string[]): Promise<number | void> {
  if (argv[0] === 'table') return (await import('./table-command.ts')).runTableCommand(argv.slice(1));
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'ttl-ms': { type: 'string' },
        'settle-ms': { type: 'string' },
        'metrics-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`virtsim coordinator: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let port, ttlMs, settleMs, metricsPort;
  try {
    port = intFlag('port', values.port, 7400)!;
    ttlMs = intFlag('ttl-ms', values['ttl-ms'], 10_000)!;
    settleMs = intFlag('settle-ms', values['settle-ms'], undefined);
    metricsPort = intFlag('metrics-port', values['metrics-port'], 7401)!;
    if (ttlMs < 100) throw new Error(`--ttl-ms: ${ttlMs} is below the minimum of 100`);
  } catch (err) {
    process.stderr.write(`virtsim coordinator: ${(err as Error).message}\n`);
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  const log = createLogger('coordinator');
  const registry = createRegistry('coordinator');
  const shutdown = new ShutdownHandler(log);
  shutdown.installSignalHandlers();

  const server = await startCoordinatorServer({ host, port, ttlMs, settleMs, log, registry });
  shutdown.add('grpc', () => server.close());
  const ops = await startOpsEndpoint({ registry, host, port: metricsPort, health: () => null });
  shutdown.add('ops endpoint', () => ops.close());
  // One line a launcher or test can parse for the ports picked.
  log.info({ grpcPort: server.port, metricsPort: ops.port }, 'coordinator ready');
}
