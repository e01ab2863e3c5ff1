import { createLogger, createRegistry, FlagError, loadTlsFiles, metricsFlags, readFlags, startOpsEndpoint, ShutdownHandler } from '@virtsim/telemetry';
import type { ServerTls } from '@virtsim/fleet-proto';
import { startCoordinatorServer } from './server.ts';

const USAGE = `usage: virtsim coordinator [flags]
       virtsim coordinator table [--address HOST:PORT] [--json]

Serves agent membership and the slot table over gRPC (virtsim.fleet.v1.Coordinator, grpc.health.v1).

flags:
  --host HOST          address to bind gRPC and /metrics on (default 127.0.0.1)
  --port N             gRPC port (default 7400; 0 picks a free one)
  --ttl-ms DURATION    agent membership TTL: ms, or 10s, 1m... (default 10000; at least 100)
  --settle-ms DURATION after start, only record re-joining agents' claims for this long (default: the TTL)
  --initial-members N  a fresh fleet of N agents: assign nothing until N have joined (or
                       --initial-wait passed), so the first one does not take every slot
                       and hand half over a moment later (default 1: assign at once)
  --initial-wait DURATION  the longest wait for --initial-members (default 30s)
  --metrics-port N     port for /metrics and /healthz (default 7401; 0 picks a free one)
  --tls-cert FILE      serve gRPC over TLS with this certificate (PEM) ...
  --tls-key FILE       ... and its private key (PEM)
  --tls-ca FILE        mTLS: agents must present a certificate signed by this CA (PEM)
                       (without --tls-cert: plaintext, for local runs and tests)
  -h, --help           this text
`;

/** The flags, typed: a bad value is refused with one line naming the flag (exit 2). */
const FLAGS = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'port', allowZero: true, default: 7400 },
  'ttl-ms': { type: 'duration', unit: 'ms', min: 100, default: 10_000 },
  'settle-ms': { type: 'duration', unit: 'ms' },
  'initial-members': { type: 'int', min: 1, default: 1 },
  'initial-wait': { type: 'duration', unit: 'ms', default: 30_000 },
  'metrics-port': metricsFlags(7401)['metrics-port'],
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `virtsim coordinator`: runs until SIGTERM/SIGINT. `virtsim coordinator table` prints the table. */
export async function runCoordinator(argv: string[]): Promise<number | void> {
  if (argv[0] === 'table') return (await import('./table-command.ts')).runTableCommand(argv.slice(1));
  const flags = readFlags('virtsim coordinator', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { host, port, 'ttl-ms': ttlMs, 'settle-ms': settleMs, 'initial-members': initialMembers, 'initial-wait': initialWaitMs, 'metrics-port': metricsPort } = values;
  let tls: ServerTls | undefined;
  try {
    tls = serverTls(values['tls-cert'], values['tls-key'], values['tls-ca']);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`virtsim coordinator: ${err.message}\n`);
    return 2;
  }
  const log = createLogger('coordinator');
  const registry = createRegistry('coordinator');
  const shutdown = new ShutdownHandler(log);
  shutdown.installSignalHandlers();

  const server = await startCoordinatorServer({ host, port, ttlMs, settleMs, initialMembers, initialWaitMs, tls, log, registry });
  shutdown.add('grpc', () => server.close());
  const ops = await startOpsEndpoint({ registry, host, port: metricsPort, health: () => null });
  shutdown.add('ops endpoint', () => ops.close());
  // One line a launcher or test can parse for the ports picked.
  log.info({ grpcPort: server.port, metricsPort: ops.port }, 'coordinator ready');
}

/** The coordinator's TLS from its flags; a CA alone would be mTLS with no certificate of its own. */
function serverTls(cert: string | undefined, key: string | undefined, ca: string | undefined): ServerTls | undefined {
  if (ca && !cert) throw new FlagError('--tls-ca: needs --tls-cert and --tls-key (the coordinator\'s own certificate)');
  const files = loadTlsFiles({ cert: 'tls-cert', key: 'tls-key', ca: 'tls-ca' }, { cert, key, ca });
  return files ? { cert: files.cert!, key: files.key!, ca: files.ca } : undefined;
}
