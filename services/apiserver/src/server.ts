/**
 * startApiServer: the embedded Kubernetes-compatible API server, over TLS (self-signed CA) or,
 * when asked, plain HTTP. Other services and tests embed it through this function; the
 * `virtsim apiserver` command wraps it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { unixSocketUrl } from '@virtsim/apimachinery/unix-socket-url';
import { createLogger, createRegistry, type Logger } from '@virtsim/telemetry';
import { Aggregator } from './aggregator.ts';
import { openAuditLog, type AuditLogOptions } from './audit-log.ts';
import { Authenticator, type TokenEntry } from './auth.ts';
import { Authorizer, type AuthorizationMode } from './authz.ts';
import { DEFAULT_MAX_BODY_BYTES } from './body.ts';
import { startEventTtl } from './event-ttl.ts';
import { FaultInjector, type FaultOptions } from './faults.ts';
import { indexFields, validateRoleRefUpdate } from './builtins.ts';
import { CrdManager } from './crd.ts';
import { Discovery } from './discovery.ts';
import { authenticationData, ensureAuthenticationConfigMap } from './extension-apiserver-authentication.ts';
import { loadOrCreateFrontProxyPki } from './front-proxy-pki.ts';
import { createHandler, type RequestMetrics, type ServerState } from './handlers.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { kubevirtAdmission } from './kubevirt-admission.ts';
import { RbacEscalationGuard } from './rbac-escalation.ts';
import { ServiceAllocator } from './service-ips.ts';
import { ensureKubernetesService } from './kubernetes-service.ts';
import { ObjectService, SYSTEM_USER } from './objects.ts';
import { OpenApi } from './openapi.ts';
import { Journal, StoreDamagedError, type Durability } from './journal.ts';
import { ListSnapshots } from './list-at-version.ts';
import { loadLegacySnapshot } from './persistence.ts';
import { startClusterRoleAggregation } from './rbac-aggregation.ts';
import { ensureBootstrapPolicy } from './rbac-bootstrap.ts';
import { RbacIndex } from './rbac-index.ts';
import { ResourceRegistry, type ResourceType } from './resources.ts';
import { loadOrCreateSigningKey } from './sa-key.ts';
import { ServiceAccountTokens, type ServiceAccountTokenOptions } from './sa-tokens.ts';
import { Store } from './store.ts';
import { loadOrCreatePki } from './tls.ts';
import { listenOnUnixSocket, type UpgradeHandler } from './unix-socket.ts';
import { WebhookAdmission } from './webhook-admission.ts';
import { WebhookRegistry } from './webhook-registry.ts';

export interface ApiServerOptions {
  host?: string;
  /** 0 (default) picks a free port; read it back from the result. */
  port?: number;
  /** Serve plain HTTP instead of TLS (explicit opt-in, as with kube-apiserver's insecure port). */
  insecureHttp?: boolean;
  /** Keeps the CA and every acknowledged write here (a log and snapshots); state survives kill -9. */
  dataDir?: string;
  /** With dataDir: fsync (default: answer after the write is on disk), batch (fsync on a timer) or none. */
  durability?: Durability;
  /** Log bytes after which it is compacted into a snapshot (default 64 MiB, and at least the last snapshot's size). */
  compactAfterBytes?: number;
  /** Static token file (token,user,uid,"groups"). */
  tokenFile?: string;
  tokens?: TokenEntry[];
  /** Fixed admin token (random otherwise). */
  adminToken?: string;
  /** Issuers, API audiences and the longest token a TokenRequest gets. */
  serviceAccountTokens?: ServiceAccountTokenOptions;
  /** RBAC (default): the stored policy decides; AlwaysAllow: every authenticated request. */
  authorizationMode?: AuthorizationMode;
  kubeconfigOut?: string;
  /**
   * Also serve plain HTTP on this Unix socket (mode 0600), authenticated as the TCP port is: for
   * clients of the same user on this machine, without TLS's cost per request.
   */
  unixSocket?: string;
  /** With unixSocket: write a kubeconfig for it (server unix://PATH, admin token) to this file. */
  unixSocketKubeconfigOut?: string;
  /** Most events kept per resource for watch resumption (older resourceVersions answer 410 Expired). */
  watchCacheSize?: number;
  /** Bytes a watcher may have unread before it is disconnected. */
  watchBufferBytes?: number;
  bookmarkIntervalMs?: number;
  /**
   * kube-apiserver's WatchList feature gate: watches that list (sendInitialEvents). Default true;
   * false refuses them as a server with the gate off does (422), which clients must fall back from.
   */
  watchList?: boolean;
  maxBodyBytes?: number;
  /** Events older than this are deleted (kube-apiserver's --event-ttl; default 1 hour, 0 keeps them). */
  eventTtlMs?: number;
  /** One audit log line per write (and read, with `reads`), to a rotated file or "-" (the process log); off when unset. */
  audit?: AuditLogOptions;
  /** The API fault mode: failed writes and cut watches inside a window (off when unset). */
  faults?: FaultOptions;
  /** How often every APIService's backend is checked for availability (default 30 s, as kube-aggregator). */
  apiServiceCheckIntervalMs?: number;
  log?: Logger;
  metricsRegistry?: Registry;
}

export interface ApiServer {
  url: string;
  port: number;
  /** PEM of the CA that signed the serving certificate (empty with insecureHttp). */
  caPem: string;
  adminToken: string;
  /** A kubeconfig for the admin user. */
  kubeconfig(): string;
  /** Writes the kubeconfig to a file and returns its path. */
  writeKubeconfig(path: string): string;
  /** The store, for in-process embedding (benchmarks, stand-ins); objects are JSON texts. */
  store: Store;
  close(): Promise<void>;
}

/** kube-apiserver's watch cache upper bound per resource (defaultUpperBoundCapacity). */
const DEFAULT_WATCH_CACHE_SIZE = 100 * 1024;

/** The store, the resource registry and the object service with its write hooks (CRDs, KubeVirt admission, RBAC roleRef, default ServiceAccounts). */
function createObjectService(watchCacheSize: number, watchBufferBytes: number) {
  // A window holds no more object text than a watch may leave unread: a longer replay is
  // answered 410 (list-watch.ts), so older events could serve no resume.
  const store = new Store(watchCacheSize, { maxBytes: watchBufferBytes });
  const registry = new ResourceRegistry();
  const resolveType = (storeKey: string): ResourceType | undefined => {
    for (const rt of registry.all()) if (rt.storeKey === storeKey && rt.version === rt.storageVersion && !rt.convert) return rt;
    return undefined;
  };
  const objects = new ObjectService(store, resolveType);
  // A namespace sweep waits while a watch is a quarter of the way to being closed for being slow.
  objects.sweepYieldBytes = watchBufferBytes / 4;
  const crds = new CrdManager(registry, store);
  const webhooks = new WebhookRegistry(store);
  objects.hooks.push(crds, kubevirtAdmission, new ServiceAllocator(store), webhooks, { validate: (rt, obj, old) => validateRoleRefUpdate(rt.storeKey, obj, old) }, {
    // The service account controller: every namespace gets its "default" ServiceAccount.
    afterWrite(rt, obj, name) {
      if (rt.storeKey !== '/namespaces' || !obj || obj.metadata.deletionTimestamp || store.get('/serviceaccounts', name, 'default')) return;
      const saRt = registry.get('', 'v1', 'serviceaccounts')!;
      objects.create(saRt, name, { metadata: { name: 'default' } }, SYSTEM_USER);
    },
  });
  return { store, registry, objects, crds, webhooks };
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const log = opts.log ?? createLogger('apiserver');
  const host = opts.host ?? '127.0.0.1';
  const metricsRegistry = opts.metricsRegistry ?? createRegistry('apiserver');
  const watchBufferBytes = opts.watchBufferBytes ?? 16 * 1024 * 1024;
  const { store, registry, objects, crds, webhooks } = createObjectService(opts.watchCacheSize ?? DEFAULT_WATCH_CACHE_SIZE, watchBufferBytes);

  const { journal, restored } = opts.dataDir ? await openDurableStore(opts.dataDir, opts, store, crds, log) : { journal: null, restored: 0 };
  // Configurations restored from disk bypass the write hooks.
  webhooks.refresh();
  ensureSystemNamespaces(objects, registry);

  const { authz, stopAggregation } = startAuthorization(opts.authorizationMode ?? 'RBAC', store, objects, registry, log);
  const auditLog = openAuditLog(opts.audit, log);
  const stopEventTtl = (opts.eventTtlMs ?? 3600_000) > 0 ? startEventTtl(store, opts.eventTtlMs ?? 3600_000) : () => {};

  const { requestMetrics, watchers, terminatedWatchers } = registerServerMetrics(metricsRegistry, store, journal);

  const faults = FaultInjector.wanted(opts.faults) ? new FaultInjector(opts.faults, log, metricsRegistry) : undefined;
  const auth = startAuthentication(opts, store, authz);
  // The front-proxy CA and client certificate live beside the serving CA (DIR/pki) when kept.
  const frontProxy = loadOrCreateFrontProxyPki(opts.dataDir ? join(opts.dataDir, 'pki') : undefined);
  const aggregator = new Aggregator({ objects, registry, auth, authz, pki: frontProxy, log }, { intervalMs: opts.apiServiceCheckIntervalMs ?? 30_000, timeoutMs: 5_000 });
  let address = '';
  const state: ServerState = {
    store,
    watchBufferBytes,
    listSnapshots: new ListSnapshots(store),
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
    watchList: opts.watchList ?? true,
    onWatchChange: (d) => watchers.inc(d),
    onSlowWatcherClosed: (resource, backlogBytes, userAgent) => {
      terminatedWatchers.inc({ resource });
      log.warn({ resource, backlogBytes, userAgent }, 'watch closed: its client did not read its events fast enough');
    },
    registry,
    objects,
    discovery: new Discovery(registry, aggregator.apiServices),
    openapi: new OpenApi(registry),
    auth,
    authz,
    log,
    audit: auditLog.audit,
    auditReads: auditLog.reads,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    serverAddress: () => address,
    metrics: requestMetrics,
    metricsText: async () => ({ contentType: metricsRegistry.contentType, text: await metricsRegistry.metrics() }),
    ready: () => true,
    durable: journal ? () => journal.waitDurable() : undefined,
    faults,
    aggregator,
    webhooks: new WebhookAdmission(store, webhooks),
  };
  const handler = createHandler(state);
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((err: unknown) => {
      // handle() answers every error itself; this is the last guard for the process.
      log.error({ err }, 'request handler failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };

  const { server, caPem, port } = await listen(opts, host, onRequest, aggregator);
  // What an aggregated API server (virt-api) reads to trust the requests proxied to it.
  ensureAuthenticationConfigMap(objects, registry, authenticationData(frontProxy.caPem, caPem));
  ensureKubernetesService(objects, registry, endpointAddress(host), port);
  const access = adminAccess(opts, host, port, caPem, auth.adminToken);
  address = access.address;
  const { url, kubeconfig, writeKubeconfig } = access;
  if (opts.kubeconfigOut) writeKubeconfig(opts.kubeconfigOut);
  const local = await listenLocally(opts, server, onRequest, aggregator, auth.adminToken);
  log.info({ url, port, unixSocket: opts.unixSocket, restored, dataDir: opts.dataDir }, 'apiserver listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    caPem,
    adminToken: auth.adminToken,
    kubeconfig,
    writeKubeconfig,
    store,
    close: () =>
      (closing ??= (async () => {
        stopEventTtl();
        aggregator.close();
        stopAggregation();
        faults?.close();
        auditLog.close();
        await Promise.all([server, local].map((s) => s && closeServer(s)));
        if (journal) {
          await journal.close();
          log.info({ objects: store.objectCount(), dataDir: opts.dataDir }, 'apiserver state saved');
        }
        log.info('apiserver stopped');
      })()),
  };
}

/** The server's address and URL, and a kubeconfig for it with the admin token (written where asked). */
function adminAccess(opts: ApiServerOptions, host: string, port: number, caPem: string, token: string) {
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const address = `${urlHost}:${port}`;
  const url = `${opts.insecureHttp ? 'http' : 'https'}://${address}`;
  const kubeconfig = () => renderKubeconfig({ url, caPem: caPem || undefined, token });
  const writeKubeconfig = (path: string) => {
    writeFileSync(path, kubeconfig(), { mode: 0o600 });
    return path;
  };
  return { address, url, kubeconfig, writeKubeconfig };
}

/** The namespaces every cluster has, created when missing. */
function ensureSystemNamespaces(objects: ObjectService, registry: ResourceRegistry): void {
  const nsRt = registry.get('', 'v1', 'namespaces')!;
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    if (!objects.store.get('/namespaces', '', ns)) objects.create(nsRt, '', { metadata: { name: ns } }, SYSTEM_USER);
  }
}

/** Static and service-account tokens, and impersonation asked of the authorizer. */
function startAuthentication(opts: ApiServerOptions, store: Store, authz: Authorizer): Authenticator {
  // The token signing key lives beside the CA, so tokens outlive a restart as the CA's kubeconfigs do.
  const serviceAccounts = new ServiceAccountTokens(
    loadOrCreateSigningKey(opts.dataDir ? join(opts.dataDir, 'pki') : undefined),
    (ns, name) => store.get('/serviceaccounts', ns, name)?.uid,
    opts.serviceAccountTokens,
  );
  const auth = new Authenticator({ adminToken: opts.adminToken, tokenFile: opts.tokenFile, tokens: opts.tokens, serviceAccounts });
  auth.checkAccess = (actor, a) => authz.check(actor, a);
  return auth;
}

/**
 * The authorizer of `mode`; with RBAC, the default policy created where missing, the policy index
 * following the store, and the ClusterRole aggregation controller.
 */
function startAuthorization(mode: AuthorizationMode, store: Store, objects: ObjectService, registry: ResourceRegistry, log: Logger) {
  if (mode === 'AlwaysAllow') return { authz: new Authorizer(mode, null), stopAggregation: () => {} };
  const index = new RbacIndex(store);
  const created = ensureBootstrapPolicy(objects, registry);
  if (created) log.info({ created }, 'created the default RBAC policy objects');
  index.reload();
  const stopAggregation = startClusterRoleAggregation(index, objects, registry, log);
  const authz = new Authorizer(mode, index);
  objects.hooks.push(new RbacEscalationGuard(authz, index));
  return { authz, stopAggregation };
}

/**
 * The durable store in `dataDir`: replays the log into `store` (importing an older version's
 * snapshot once), then makes every later write go through the journal, and with fsync makes
 * watchers wait for the fsync that covers a write.
 */
async function openDurableStore(dataDir: string, opts: ApiServerOptions, store: Store, crds: CrdManager, log: Logger): Promise<{ journal: Journal; restored: number }> {
  const t0 = performance.now();
  const dir = join(dataDir, 'store');
  const legacy = !Journal.exists(dir) ? await loadLegacySnapshot(dataDir, (key, obj) => store.restore(key, obj, indexFields(key, obj))) : null;
  let opened;
  try {
    opened = Journal.open(
      {
        dir,
        durability: opts.durability ?? 'fsync',
        log,
        compactAfterBytes: opts.compactAfterBytes,
        contents: () => store.entries(),
        resourceVersion: () => store.resourceVersion,
      },
      {
        put(key, json) {
          const obj = JSON.parse(json);
          store.restore(key, obj, indexFields(key, obj), json);
        },
        remove: (key, ns, name, rv) => store.restoreRemove(key, ns, name, rv),
        resourceVersion: (rv) => store.setResourceVersion(rv),
      },
    );
  } catch (err) {
    if (err instanceof StoreDamagedError) log.error({ dataDir: dataDir, reason: err.message }, 'the store in the data dir is damaged; not starting');
    throw err;
  }
  const journal = opened.journal;
  if (legacy !== null) store.setResourceVersion(legacy);
  // Watches from before the restart cannot resume: the window starts at the restored version.
  store.setResourceVersion(store.resourceVersion);
  crds.restoreAll((j) => JSON.parse(j));
  const restored = store.objectCount();
  if (legacy !== null) {
    await journal.compact();
    renameSync(join(dataDir, 'objects.jsonl'), join(dataDir, 'objects.jsonl.imported'));
    log.info({ objects: restored, from: join(dataDir, 'objects.jsonl') }, 'imported the snapshot of an older version into the store');
  }
  store.journal = journal;
  if ((opts.durability ?? 'fsync') === 'fsync') {
    const j = journal;
    store.durablePosition = () => j.position();
    j.onDurable = (upTo) => store.releaseDurable(upTo);
  }
  log.info({ objects: restored, records: opened.records, resourceVersion: store.resourceVersion, ms: Math.round(performance.now() - t0), durability: opts.durability ?? 'fsync' }, 'store restored');
  return { journal, restored };
}

/** The API server's metrics: requests, watches, stored objects, resourceVersion and, with a data dir, the store log's. */
function registerServerMetrics(metricsRegistry: Registry, store: Store, journal: Journal | null) {
  const requests = new Counter({ name: 'apiserver_request_total', help: 'API requests by verb, resource and HTTP code', labelNames: ['verb', 'resource', 'code'], registers: [metricsRegistry] });
  // kube-apiserver's name; its buckets thinned to the ones that tell a healthy server from a saturated one.
  const durations = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'time from a request\'s headers read to its answer sent, by verb and resource (watches not included)',
    labelNames: ['verb', 'resource'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [metricsRegistry],
  });
  const watchers = new Gauge({ name: 'apiserver_registered_watchers', help: 'open watch streams', registers: [metricsRegistry] });
  // kube-apiserver's name for the watches it closes because their client stopped reading.
  const terminatedWatchers = new Counter({ name: 'apiserver_terminated_watchers_total', help: 'watches closed because the client did not read its events fast enough, by resource', labelNames: ['resource'], registers: [metricsRegistry] });
  // What holds a namespace sweep back: the slowest watch's client, however it fell behind.
  new Gauge({ name: 'apiserver_watch_backlog_bytes', help: 'the most any watch client has still to read: unread bytes, an initial state not sent yet, events held for after it', registers: [metricsRegistry], collect() { this.set(store.watchBacklogBytes()); } });
  new Gauge({
    name: 'apiserver_storage_objects',
    help: 'objects stored, by resource',
    labelNames: ['resource'],
    registers: [metricsRegistry],
    collect() {
      this.reset();
      for (const key of store.storeKeys()) this.set({ resource: key }, store.count_(key));
    },
  });
  if (journal) {
    const j = journal;
    const stat = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [metricsRegistry], collect() { this.set(read()); } });
    stat('apiserver_storage_fsyncs_total', 'group commits (fdatasync calls) of the store log', () => j.stats.fsyncs);
    stat('apiserver_storage_fsync_seconds_total', 'time spent in fdatasync of the store log', () => j.stats.fsyncSeconds);
    stat('apiserver_storage_log_bytes', 'bytes in the current store log file', () => j.stats.logBytes);
    stat('apiserver_storage_snapshot_bytes', 'bytes of the last store snapshot', () => j.stats.snapshotBytes);
    stat('apiserver_storage_write_failures_total', 'writes refused because the store log could not be written', () => j.stats.writeFailures);
    stat('apiserver_storage_compactions_total', 'store snapshots written', () => j.stats.compactions);
    // etcd's etcd_disk_wal_fsync_duration_seconds, with its buckets: the group commit every acknowledged write waits for.
    const fsyncs = new Histogram({
      name: 'apiserver_storage_fsync_duration_seconds',
      help: 'time of each fdatasync of the store log (group commit), from its call to its completion seen by the event loop',
      buckets: Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i),
      registers: [metricsRegistry],
    });
    j.onFsync = (seconds) => fsyncs.observe(seconds);
  }
  new Gauge({ name: 'apiserver_resource_version', help: 'current global resourceVersion', registers: [metricsRegistry], collect() { this.set(store.resourceVersion); } });

  const requestMetrics: RequestMetrics = {
    observe(verb, resource, code, seconds) {
      requests.inc({ verb, resource, code: String(code) });
      durations.observe({ verb, resource }, seconds);
    },
  };
  return { requestMetrics, watchers, terminatedWatchers };
}

/** Stops accepting, ends the open connections (watches included), resolves once closed. */
function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

/** With opts.unixSocket: the plain-HTTP server on it, and its kubeconfig written; if it cannot listen, `tcp` is closed too. */
async function listenLocally(
  opts: ApiServerOptions,
  tcp: Server,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  upgrades: UpgradeHandler,
  token: string,
): Promise<Server | undefined> {
  if (!opts.unixSocket) return undefined;
  let local: Server;
  try {
    local = await listenOnUnixSocket(opts.unixSocket, onRequest, upgrades);
  } catch (err) {
    // Nothing else holds the process: the start fails as a busy port does.
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    throw err;
  }
  if (opts.unixSocketKubeconfigOut) writeFileSync(opts.unixSocketKubeconfigOut, renderKubeconfig({ url: unixSocketUrl(opts.unixSocket), token }), { mode: 0o600 });
  return local;
}

/** The address the `kubernetes` Endpoints name: the bound one, or loopback for a wildcard or a host name. */
function endpointAddress(host: string): string {
  return isIP(host) && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
}

/** The HTTPS server (plain HTTP with insecureHttp), its CA kept in dataDir, listening. */
async function listen(
  opts: ApiServerOptions,
  host: string,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  upgrades: { handles(url: string | undefined): boolean; serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void },
): Promise<{ server: Server; caPem: string; port: number }> {
  let caPem = '';
  let server: Server;
  // Only an upgrade to an aggregated API is taken as one; any other is an ordinary request, as before.
  const shouldUpgradeCallback = (req: IncomingMessage) => upgrades.handles(req.url);
  if (opts.insecureHttp) server = createHttpServer({ shouldUpgradeCallback }, onRequest);
  else {
    const pki = loadOrCreatePki(opts.dataDir ? join(opts.dataDir, 'pki') : undefined, host === '127.0.0.1' || host === 'localhost' ? [] : [host]);
    caPem = pki.caPem;
    server = createHttpsServer({ key: pki.keyPem, cert: pki.certPem, shouldUpgradeCallback }, onRequest);
  }
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrades.serveUpgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;
  // Watches are long requests; the request timeout only bounds receiving a request.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  return { server, caPem, port: (server.address() as AddressInfo).port };
}
