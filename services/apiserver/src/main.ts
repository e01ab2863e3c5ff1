/** `virtsim apiserver`: runs the embedded API server until SIGTERM. */
import { createLogger, readFlags, ShutdownHandler } from '@virtsim/telemetry';
import { AUTHORIZATION_MODES } from './authz.ts';
import { DURABILITIES } from './journal.ts';
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
                        Service-account tokens (TokenRequest: kubectl create token SA) are also
                        accepted while their SA exists, and TokenReview answers; their signing
                        key is kept in --data-dir (pki/sa.key), so they outlive a restart
  --service-account-issuer URL  the iss of service-account tokens (repeatable: the first issues,
                        every one is accepted, for rotating it; default
                        https://kubernetes.default.svc.cluster.local). Its discovery is served at
                        /.well-known/openid-configuration and /openid/v1/jwks
  --api-audiences LIST  audiences a token must carry to authenticate here (comma-separated;
                        default: the first issuer)
  --service-account-max-token-expiration DURATION  a TokenRequest asking for longer gets this
                        long, with a warning (e.g. 24h; default: no cap)
  --authorization-mode MODE  RBAC (default: Roles, ClusterRoles and bindings decide; a default
                        policy is created at start when missing) or AlwaysAllow (every
                        authenticated request, impersonation included)
  --insecure-http       serve plain HTTP instead of TLS
  --unix-socket PATH    also serve plain HTTP on this Unix socket (created 0600), authenticated
                        as the port is: for clients of the same user on this machine, which then
                        spend no CPU on TLS (virtsim up's own processes use it)
  --unix-socket-kubeconfig-out FILE  write a kubeconfig for the socket (server unix://PATH, admin
                        token) to FILE; virtsim's clients read it, kubectl does not
  --watch-cache-size N  most events kept per resource for watch resumption; each resource keeps
                        its last 75 s of events up to N, as kube-apiserver's watch cache
                        (default 102400, its upper bound)
  --event-ttl DURATION  delete Events older than this (1h, 90m, or seconds; default 3600; 0 keeps them)
  --audit-log-path FILE one audit line per write (user, impersonator, verb, resource, code) to
                        FILE, rotated; "-" writes them into the process log. Off by default
  --audit-log-reads     audit reads too (get, list, watch), as kube-apiserver's Metadata level:
                        shows every right a client used (costly at load; off by default)
  --audit-log-maxsize N rotate the audit file after N MiB (default 100)
  --audit-log-maxbackup N  rotated audit files kept (default 1)
  --no-audit            no audit log (the default; kept for older scripts)
  API fault mode (chaos runs; off by default):
  --fault-write-error-rate R  fraction 0..1 of writes (create/update/patch/delete) that get a fault,
                        chosen at random from --fault-seed: not applied but answered 429
                        (Retry-After: 1), 500, 504 after --fault-timeout-delay, or held for that
                        delay and then hung up; or applied, answer lost: carried out, then
                        answered 504 Timeout or hung up after that delay (a retried create then
                        gets 409 AlreadyExists, a retried delete 404)
  --fault-watch-cut-every DURATION  drop every open watch connection at this interval (e.g. 30s)
  --fault-start DURATION      open the fault window this long after the server starts (default 0)
  --fault-duration DURATION   keep it open this long (default: until the server stops)
  --fault-seed N              seed of the choices (default 1: the same seed fails the same writes)
  --fault-timeout-delay DURATION  how long a timeout holds its request (default 2s)
  --exit-with-parent    stop when the parent process goes away (test harnesses)
`;

/** The flags, typed: a bad value is refused with one line naming the flag (exit 2). */
const FLAGS = {
  port: { type: 'port', allowZero: true, default: 6443 },
  host: { type: 'string', default: '127.0.0.1' },
  'kubeconfig-out': { type: 'string' },
  'data-dir': { type: 'string' },
  durability: { type: 'choice', choices: DURABILITIES },
  'token-file': { type: 'string' },
  'admin-token': { type: 'string' },
  'service-account-issuer': { type: 'strings' },
  'api-audiences': { type: 'string' },
  'service-account-max-token-expiration': { type: 'duration', unit: 's', default: 0 },
  'authorization-mode': { type: 'choice', choices: AUTHORIZATION_MODES, default: 'RBAC' },
  'insecure-http': { type: 'boolean' },
  'unix-socket': { type: 'string' },
  'unix-socket-kubeconfig-out': { type: 'string' },
  'watch-cache-size': { type: 'int', min: 1 },
  'no-audit': { type: 'boolean' },
  'audit-log-path': { type: 'string' },
  'audit-log-reads': { type: 'boolean' },
  'audit-log-maxsize': { type: 'int', min: 1, default: 100 },
  'audit-log-maxbackup': { type: 'int', min: 0, default: 1 },
  'exit-with-parent': { type: 'boolean' },
  'event-ttl': { type: 'duration', unit: 's', default: 3_600_000 },
  'fault-write-error-rate': { type: 'ratio', default: 0 },
  'fault-watch-cut-every': { type: 'duration', unit: 's', min: 100, default: 0 },
  'fault-start': { type: 'duration', unit: 's', default: 0 },
  'fault-duration': { type: 'duration', unit: 's' },
  'fault-seed': { type: 'int', default: 1 },
  'fault-timeout-delay': { type: 'duration', unit: 's', default: 2000 },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runApiServer(argv: string[]): Promise<number | void> {
  const flags = readFlags('virtsim apiserver', argv, FLAGS);
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.durability !== undefined && !values['data-dir']) {
    process.stderr.write('virtsim apiserver: --durability needs --data-dir (without one nothing is kept)\n');
    return 2;
  }
  if (values['unix-socket-kubeconfig-out'] !== undefined && !values['unix-socket']) {
    process.stderr.write('virtsim apiserver: --unix-socket-kubeconfig-out needs --unix-socket\n');
    return 2;
  }
  const maxExpiration = values['service-account-max-token-expiration'];
  if (maxExpiration !== 0 && (maxExpiration < 3_600_000 || maxExpiration > 2 ** 32 * 1000)) {
    process.stderr.write('virtsim apiserver: --service-account-max-token-expiration must be between 1 hour and 2^32 seconds\n');
    return 2;
  }
  const log = createLogger('apiserver');
  const shutdown = new ShutdownHandler(log);
  const server = await startApiServer({
    port: values.port,
    host: values.host,
    kubeconfigOut: values['kubeconfig-out'],
    dataDir: values['data-dir'],
    durability: values.durability,
    tokenFile: values['token-file'],
    adminToken: values['admin-token'],
    serviceAccountTokens: {
      issuers: values['service-account-issuer'],
      apiAudiences: values['api-audiences']?.split(',').map((a) => a.trim()).filter(Boolean),
      maxExpirationSeconds: Math.floor(values['service-account-max-token-expiration'] / 1000),
    },
    authorizationMode: values['authorization-mode'],
    insecureHttp: values['insecure-http'],
    unixSocket: values['unix-socket'],
    unixSocketKubeconfigOut: values['unix-socket-kubeconfig-out'],
    watchCacheSize: values['watch-cache-size'],
    audit:
      values['audit-log-path'] && !values['no-audit']
        ? { path: values['audit-log-path'], maxSizeBytes: values['audit-log-maxsize'] * 1024 * 1024, maxBackups: values['audit-log-maxbackup'], reads: values['audit-log-reads'] }
        : undefined,
    eventTtlMs: values['event-ttl'],
    faults: {
      writeErrorRate: values['fault-write-error-rate'],
      watchCutEveryMs: values['fault-watch-cut-every'],
      startMs: values['fault-start'],
      durationMs: values['fault-duration'],
      seed: values['fault-seed'],
      timeoutDelayMs: values['fault-timeout-delay'],
    },
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
