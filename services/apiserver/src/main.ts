/** `virtsim apiserver`: runs the embedded API server until SIGTERM. */
import { parseArgs } from 'node:util';
import { createLogger, ShutdownHandler } from '@virtsim/telemetry';
import { DURABILITIES, type Durability } from './journal.ts';
import { startApiServer } from './server.ts';

const HELP = `usage: virtsim apiserver [flags]

  --port N              port to listen on (0 = any free port; default 6443)
  --host ADDR           address to bind (default 127.0.0.1)
  --kubeconfig-out FILE write a kubeconfig (server URL, CA, admin token) to FILE
  --data-dir DIR        keep the CA and every acknowledged write here (a log and snapshots);
                        state survives kill -9
  --durability MODE     with --data-dir: fsync (default; a write is answered once it is on
                        disk), batch (fsync every 100 ms, answered before: a power cut loses
                        up to 100 ms, a kill -9 nothing) or none (never fsync the log)
  --token-file FILE     static tokens, one per line: token,user,uid,"group1,group2"
  --admin-token TOKEN   the admin bearer token (random by default)
  --insecure-http       serve plain HTTP instead of TLS
  --watch-cache-size N  events kept for watch resumption (default 20000)
  --event-ttl SECONDS   delete Events older than this (default 3600; 0 keeps them)
  --no-audit            no audit log line per write
  --exit-with-parent    stop when the parent process goes away (test harnesses)
`;

export async function runApiServer(argv: string[]): Promise<number | void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '6443' },
        host: { type: 'string', default: '127.0.0.1' },
        'kubeconfig-out': { type: 'string' },
        'data-dir': { type: 'string' },
        durability: { type: 'string' },
        'token-file': { type: 'string' },
        'admin-token': { type: 'string' },
        'insecure-http': { type: 'boolean', default: false },
        'watch-cache-size': { type: 'string' },
        'no-audit': { type: 'boolean', default: false },
        'exit-with-parent': { type: 'boolean', default: false },
        'event-ttl': { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`virtsim apiserver: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`virtsim apiserver: --port must be a port number, got ${JSON.stringify(values.port)}\n`);
    return 2;
  }
  const durability = values.durability;
  if (durability !== undefined && !DURABILITIES.includes(durability as Durability)) {
    process.stderr.write(`virtsim apiserver: --durability must be one of ${DURABILITIES.join(', ')}, got ${JSON.stringify(durability)}\n`);
    return 2;
  }
  if (durability !== undefined && !values['data-dir']) {
    process.stderr.write('virtsim apiserver: --durability needs --data-dir (without one nothing is kept)\n');
    return 2;
  }
  const log = createLogger('apiserver');
  const shutdown = new ShutdownHandler(log);
  const server = await startApiServer({
    port,
    host: values.host,
    kubeconfigOut: values['kubeconfig-out'],
    dataDir: values['data-dir'],
    durability: durability as Durability | undefined,
    tokenFile: values['token-file'],
    adminToken: values['admin-token'],
    insecureHttp: values['insecure-http'],
    watchCacheSize: values['watch-cache-size'] ? Number(values['watch-cache-size']) : undefined,
    audit: !values['no-audit'],
    eventTtlMs: Number(values['event-ttl']) * 1000,
    log,
  });
  shutdown.add('apiserver', () => server.close());
  shutdown.installSignalHandlers();
  if (values['exit-with-parent']) {
    // A test runner that dies without stopping us reparents us; nobody reads our stdout then, and a
    // final log flush into that pipe can block exit, so: close the store, then end without flushing.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid === parent) return;
      void server.close().finally(() => process.kill(process.pid, 'SIGKILL'));
    }, 1000).unref();
  }
}
