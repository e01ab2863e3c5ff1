import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '@virtsim/kube';
import { createLogger, PkiError, type OpsEndpoint } from '@virtsim/telemetry';
import { installCrds, publishStages } from './cluster-setup.ts';
import { createFleetSecrets, type FleetSecrets } from './fleet-secrets.ts';
import { FleetSupervisor } from './fleet-supervisor.ts';
import { findKubevirtBinaries, kubevirtMetricsTargets, prepareKubevirt, startKubevirtComponents, type KubevirtPlan } from './kubevirt-components.ts';
import { imageVersion } from './kubevirt-setup.ts';
import { childNodeFlags } from './child-node-flags.ts';
import { ChildStartError } from './managed-child.ts';
import { writePrometheusConfig, type ScrapeTarget } from './prometheus-config.ts';
import { StatusLine } from './status-line.ts';
import { UpError } from './up-error.ts';
import { startUpOps } from './up-ops.ts';
import { fleetApiAccess, type FleetApiAccess } from './fleet-api-access.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO, 'packages/cli/bin/virtsim.ts');
export const DEFAULT_CRDS = join(REPO, 'deploy/crds');
export const DEFAULT_STAGES = join(REPO, 'stages');

/** The control-plane stand-ins, as `virtsim control-plane --only` names them. */
export const STAND_INS = ['scheduler', 'virt-api', 'virt-controller'] as const;
export type StandIn = (typeof STAND_INS)[number];

export interface UpOptions {
  nodes: number;
  agents: number;
  stages: string[];
  stateDir: string;
  /** An existing cluster: no embedded API server, stand-ins off unless controlPlane is true. */
  kubeconfig?: string;
  controlPlane?: boolean;
  /** The stand-ins the control plane runs (default all): fewer beside KubeVirt's own components. */
  standIns?: StandIn[];
  /**
   * Embedded only: run the user's own KubeVirt (virt-operator for its install strategy, virt-api,
   * virt-controller) from this folder in place of those stand-ins; the scheduler stand-in stays.
   */
  kubevirtBinDir?: string;
  apiPort: number;
  /** The embedded API server's --durability (its default, fsync, when unset). */
  durability?: 'fsync' | 'batch' | 'none';
  natsPort: number;
  /** The agents' node Lease duration (their default, the kubelet's 40 s, when unset). */
  leaseDurationSeconds?: number;
  /** Refresh interval of the status line. */
  statusIntervalMs?: number;
  /**
   * Plaintext NATS and gRPC without credentials. By default the fleet is authenticated: a
   * generated NATS token over TLS, and mTLS between agents and coordinator.
   */
  insecure?: boolean;
  /** Keep finished spans in <stateDir>/traces for `virtsim trace` (default true). */
  traceStore?: boolean;
  /**
   * Fraction of VMIs and migrations traced (decided from each UID). Default: OTEL_TRACES_SAMPLER_ARG
   * when set, else every one up to 1,000 nodes and 1% above (a big run's spans would cost throughput).
   */
  traceSample?: number;
  /** The embedded API server's fault mode (chaos runs); each set field becomes its --fault-* flag. */
  apiFaults?: ApiFaults;
}

export interface ApiFaults {
  writeErrorRate?: number;
  watchCutEveryMs?: number;
  startMs?: number;
  durationMs?: number;
  seed?: number;
  timeoutDelayMs?: number;
}

/** The API server's --fault-* flags for the fields that are set. */
export function apiFaultArgs(f: ApiFaults | undefined): string[] {
  if (!f) return [];
  const ms = (v: number | undefined) => (v === undefined ? undefined : `${v}ms`);
  const pairs: [string, string | undefined][] = [
    ['--fault-write-error-rate', f.writeErrorRate?.toString()],
    ['--fault-watch-cut-every', ms(f.watchCutEveryMs)],
    ['--fault-start', ms(f.startMs)],
    ['--fault-duration', ms(f.durationMs)],
    ['--fault-seed', f.seed?.toString()],
    ['--fault-timeout-delay', ms(f.timeoutDelayMs)],
  ];
  return pairs.flatMap(([flag, v]) => (v === undefined ? [] : [flag, v]));
}

/** The embedded API server's command line: its port, kubeconfig, durable data dir, durability and fault mode. */
function apiServerArgs(opts: UpOptions, kubeconfig: string, stateDir: string, fleetApi: FleetApiAccess): string[] {
  const durability = opts.durability ? ['--durability', opts.durability] : [];
  const socket = fleetApi.socket ? ['--unix-socket', fleetApi.socket, '--unix-socket-kubeconfig-out', fleetApi.kubeconfig] : [];
  return ['apiserver', '--port', String(opts.apiPort), '--kubeconfig-out', kubeconfig, ...socket, '--data-dir', join(stateDir, 'data'), ...durability, ...apiFaultArgs(opts.apiFaults)];
}

/** The fleet's token and certificates in the state dir; a PKI failure becomes an UpError that says how to run without them. */
function fleetSecretsOrUpError(stateDir: string): FleetSecrets {
  try {
    return createFleetSecrets(stateDir);
  } catch (err) {
    if (err instanceof PkiError) throw new UpError(`${err.message} (or run with --insecure: no NATS auth, no TLS)`);
    throw err;
  }
}

/** The sampling ratio `up` gives its children. */
export function defaultTraceSample(nodes: number, env: NodeJS.ProcessEnv = process.env): number {
  if (env.OTEL_TRACES_SAMPLER_ARG) return Number(env.OTEL_TRACES_SAMPLER_ARG);
  return nodes <= 1000 ? 1 : 0.01;
}

export interface RunningFleet {
  kubeconfig: string;
  readyMs: number;
  supervisor: FleetSupervisor;
  stop(): Promise<void>;
}

/** The stand-ins' arguments: the eviction webhook only where virt-api's stand-in runs, on this host. */
function controlPlaneArgs(kubeconfig: string, embedded: boolean, standIns: StandIn[] | undefined): string[] {
  const only: readonly StandIn[] = standIns ?? STAND_INS;
  return ['control-plane', '--kubeconfig', kubeconfig, ...(standIns ? ['--only', standIns.join(',')] : []), ...(embedded && only.includes('virt-api') ? ['--eviction-webhook'] : [])];
}

export { UpError };

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, bin);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const virtsim = (args: string[]) => ({ command: process.execPath, args: ['--disable-warning=ExperimentalWarning', ...childNodeFlags(args[0] ?? ''), CLI, ...args] });

/** host:port of each child's /metrics, from what it logged when ready. */
function scrapeTargets(sup: FleetSupervisor): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const c of sup.list()) {
    const v = c.readyValue;
    if (typeof v === 'string' && v.startsWith('http://')) out.push({ process: c.spec.name, address: new URL(v).host });
    else if (v && typeof v === 'object' && 'metricsPort' in v) out.push({ process: c.spec.name, address: `127.0.0.1:${(v as { metricsPort: number }).metricsPort}` });
  }
  return out;
}

/** Starts the whole fleet on this machine; resolves once it is ready for kubectl. */
export async function up(opts: UpOptions, print: (line: string) => void): Promise<RunningFleet> {
  const started = Date.now();
  const stateDir = resolve(opts.stateDir);
  const logs = join(stateDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const log = createLogger('up');
  log.level = process.env.VIRTSIM_LOG_LEVEL ?? 'warn';
  const natsServer = onPath('nats-server');
  if (!natsServer) {
    throw new UpError('nats-server is not installed: run `npm run setup` (it installs Debian\'s nats-server), or put nats-server 2.9+ on PATH');
  }
  const secrets = opts.insecure ? undefined : fleetSecretsOrUpError(stateDir);
  const natsClientArgs = secrets?.natsClientArgs ?? [];
  const sup = new FleetSupervisor(log, (msg) => print(`virtsim: ${msg}`));
  const traces = join(stateDir, 'traces');
  const traceSample = opts.traceSample ?? defaultTraceSample(opts.nodes);
  const spec = childSpec(logs, {
    VIRTSIM_PARENT_PID: String(process.pid),
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(traceSample),
    ...(opts.traceStore === false ? {} : { VIRTSIM_TRACE_DIR: traces }),
  });

  let ops: OpsEndpoint | undefined;
  try {
    const kubeconfig = opts.kubeconfig ? resolve(opts.kubeconfig) : join(stateDir, 'kubeconfig');
    const embedded = !opts.kubeconfig;
    if (!embedded && !existsSync(kubeconfig)) throw new UpError(`kubeconfig ${kubeconfig} does not exist`);
    // The fleet's own processes: the embedded API server's Unix socket (see fleetApiAccess).
    const fleetApi = embedded ? fleetApiAccess(stateDir, kubeconfig) : { kubeconfig };
    const standIns = standInsBeside(opts, embedded);
    // Missing binaries are named before anything starts.
    if (opts.kubevirtBinDir) findKubevirtBinaries(opts.kubevirtBinDir);
    const natsUrl = `nats://127.0.0.1:${opts.natsPort}`;

    // The API server (then its CRDs and stages) and NATS (then the coordinator) start side by side.
    const apiReady = startApiServerAndStages({ sup, spec, opts, kubeconfig, fleetApi, stateDir, embedded });
    const coordinatorReady = startNatsAndCoordinator({ sup, spec, opts, natsServer, secrets, logs });
    const [{ client, kubevirt }, coordinatorAddress] = await Promise.all([apiReady, coordinatorReady]);

    // Embedded: the stages were published as Stage objects, and agents play those, so
    // `kubectl apply` of a Stage changes the fleet's behaviour live. On a real cluster: the files.
    const stageArgs = embedded ? ['--stages-from-cluster'] : opts.stages.flatMap((s) => ['--stages', s]);
    const leaseArgs = opts.leaseDurationSeconds ? ['--lease-duration-seconds', String(opts.leaseDurationSeconds)] : [];
    const wantControlPlane = opts.controlPlane ?? embedded;
    await Promise.all([
      sup.start(spec('watcher', ['watcher', '--kubeconfig', fleetApi.kubeconfig, '--nats', natsUrl, ...natsClientArgs, '--identity', 'watcher-0'], (_l, r) => (r?.msg === 'watcher started' ? r.metrics : undefined))),
      ...Array.from({ length: opts.agents }, (_, i) =>
        sup.start(
          spec(`agent-${i}`, ['agent', '--kubeconfig', fleetApi.kubeconfig, '--nats', natsUrl, ...natsClientArgs, '--coordinator', coordinatorAddress, ...(secrets?.agentCoordinatorArgs ?? []), '--identity', `agent-${i}`, '--nodes', String(opts.nodes), ...leaseArgs, ...stageArgs], (_l, r) =>
            r?.msg === 'agent started' ? r.metrics : undefined,
          ),
        ),
      ),
      wantControlPlane
        ? sup
            .start(spec('control-plane', controlPlaneArgs(fleetApi.kubeconfig, embedded, standIns), (_l, r) => (r?.msg === 'control-plane started' ? (r.metrics ?? true) : undefined)))
            .catch((err) => {
              // The fleet is still useful without the stand-ins (VMIs created already scheduled play through).
              print(`virtsim: control-plane stand-ins did not start (${(err as Error).message}); running without them, see ${join(logs, 'control-plane.log')}`);
            })
        : undefined,
      kubevirt ? startKubevirtComponents({ sup, client, plan: kubevirt, logs, setpriv: onPath('setpriv') }) : undefined,
    ]);
    const readyMs = Date.now() - started;
    ops = await startUpOps(sup);

    const agentMetrics = () => sup.list().filter((c) => c.spec.name.startsWith('agent-') && typeof c.readyValue === 'string').map((c) => c.readyValue as string);
    printBanner(print, { opts, sup, ops, kubeconfig, stateDir, logs, traces, traceSample, secrets, embedded, readyMs, standIns, kubevirt });

    const watcherMetrics = () => {
      const v = sup.get('watcher')?.readyValue;
      return typeof v === 'string' ? v : undefined;
    };
    const status = new StatusLine({ watcher: watcherMetrics, agents: agentMetrics });
    const timer = refreshStatus(status, print, opts.statusIntervalMs);

    return {
      kubeconfig,
      readyMs,
      supervisor: sup,
      async stop() {
        clearInterval(timer);
        if (process.stdout.isTTY) process.stdout.write('\n');
        client.close();
        await sup.stop();
        await ops?.close();
      },
    };
  } catch (err) {
    await sup.stop();
    await ops?.close();
    throw err;
  }
}

/**
 * The stand-ins that run: beside the user's own KubeVirt only the scheduler (asking for the
 * virt-api or virt-controller stand-in as well is refused: two of each would fight over VMIs).
 */
function standInsBeside(opts: UpOptions, embedded: boolean): StandIn[] | undefined {
  if (!opts.kubevirtBinDir) return opts.standIns;
  if (!embedded) throw new UpError('--kubevirt-bin-dir runs KubeVirt on the embedded API server; a cluster given with --kubeconfig has its own');
  const clash = opts.standIns?.filter((s) => s !== 'scheduler') ?? [];
  if (clash.length) throw new UpError(`--stand-ins ${clash.join(',')} cannot run beside --kubevirt-bin-dir, which runs KubeVirt's own ${clash.join(' and ')}`);
  return ['scheduler'];
}

/**
 * Embedded: the API server, then KubeVirt's CRDs and the stages as Stage objects, then (with
 * --kubevirt-bin-dir) what virt-operator installs; a client of the cluster either way.
 */
async function startApiServerAndStages(p: {
  sup: FleetSupervisor;
  spec: ChildSpec;
  opts: UpOptions;
  kubeconfig: string;
  fleetApi: FleetApiAccess;
  stateDir: string;
  embedded: boolean;
}): Promise<{ client: KubeClient; kubevirt?: KubevirtPlan }> {
  const { sup, spec, opts, kubeconfig, fleetApi, stateDir, embedded } = p;
  if (embedded) {
    try {
      await sup.start(spec('apiserver', apiServerArgs(opts, kubeconfig, stateDir, fleetApi), (_l, r) => (r?.msg === 'apiserver listening' ? r.url : undefined)));
    } catch (err) {
      throw portBusy(err, 'API server', opts.apiPort, '--port');
    }
  }
  const client = await KubeClient.fromFile(fleetApi.kubeconfig);
  if (embedded) {
    await installCrds(client, DEFAULT_CRDS);
    await publishStages(client, opts.stages);
  }
  if (!opts.kubevirtBinDir) return { client };
  try {
    return { client, kubevirt: await prepareKubevirt({ client, kubeconfig, stateDir, binDir: opts.kubevirtBinDir }) };
  } catch (err) {
    if (err instanceof UpError) throw err;
    throw new UpError(`installing KubeVirt from --kubevirt-bin-dir: ${(err as Error).message}`);
  }
}

type ChildSpec = (name: string, args: string[], ready: (line: string, r: Record<string, unknown> | undefined) => unknown) => Parameters<FleetSupervisor['start']>[0];

/** nats-server, then the coordinator; resolves to the coordinator's gRPC address. */
async function startNatsAndCoordinator(p: {
  sup: FleetSupervisor;
  spec: ChildSpec;
  opts: UpOptions;
  natsServer: string;
  secrets: FleetSecrets | undefined;
  logs: string;
}): Promise<string> {
  const { sup, spec, opts, natsServer, secrets, logs } = p;
  try {
    // nats-server cannot watch its parent as our children do: where util-linux's setpriv is
    // present, the kernel sends it SIGTERM when `up` dies, even by SIGKILL.
    const setpriv = onPath('setpriv');
    // Auth and TLS come from the config file: the token is never on nats-server's command line.
    const natsArgs = ['-a', '127.0.0.1', '-p', String(opts.natsPort), ...(secrets ? ['-c', secrets.natsConfigFile] : [])];
    await sup.start({
      name: 'nats-server',
      command: setpriv ?? natsServer,
      args: setpriv ? ['--pdeathsig', 'TERM', '--', natsServer, ...natsArgs] : natsArgs,
      logFile: join(logs, 'nats-server.log'),
      ready: (line) => (/Server is ready/.test(line) ? true : undefined),
    });
  } catch (err) {
    throw portBusy(err, 'NATS', opts.natsPort, '--nats-port');
  }
  // Fresh fleet: nobody holds slots, so no settling, but every agent joins before slots are
  // handed out (each registers its own nodes once); a restarted coordinator settles (fencing).
  const fresh = ['--settle-ms', '0', '--initial-members', String(opts.agents)];
  const c = await sup.start({
    ...spec('coordinator', ['coordinator', '--port', '0', '--metrics-port', '0', ...fresh, ...(secrets?.coordinatorArgs ?? [])], (_l, r) =>
      r?.msg === 'coordinator ready' ? { grpcPort: r.grpcPort, metricsPort: r.metricsPort } : undefined,
    ),
  });
  const port = String((c.readyValue as { grpcPort: number }).grpcPort);
  // A restart keeps the port the agents know.
  c.spec.restartArgs = virtsim(['coordinator', '--port', port, '--metrics-port', '0', ...(secrets?.coordinatorArgs ?? [])]).args;
  return `127.0.0.1:${port}`;
}

/** What `up` prints once the fleet is ready: where everything is, and how to stop. */
function printBanner(print: (line: string) => void, p: {
  opts: UpOptions;
  sup: FleetSupervisor;
  ops: OpsEndpoint;
  kubeconfig: string;
  stateDir: string;
  logs: string;
  traces: string;
  traceSample: number;
  secrets: FleetSecrets | undefined;
  embedded: boolean;
  readyMs: number;
  standIns: StandIn[] | undefined;
  kubevirt: KubevirtPlan | undefined;
}): void {
  const { opts, sup, ops, kubeconfig, stateDir, logs, traces, traceSample, secrets, embedded, readyMs, standIns, kubevirt } = p;
  print(`virtsim is up in ${(readyMs / 1000).toFixed(1)} s: ${opts.nodes} fake nodes, ${opts.agents} agents${sup.get('control-plane')?.running ? `, control-plane stand-ins${standIns ? ` (${standIns.join(', ')})` : ''}` : ''}`);
  if (kubevirt) print(`  kubevirt    virt-api and virt-controller from ${opts.kubevirtBinDir} (${imageVersion(kubevirt.operatorImage).version}); installed: ${kubevirt.installSummary}`);
  print(`  kubeconfig  ${kubeconfig}`);
  print(`  try         export KUBECONFIG=${kubeconfig}; kubectl get nodes`);
  const kubevirtMetrics = kubevirt ? kubevirtMetricsTargets(kubevirt) : [];
  const metrics = sup.list().filter((c) => typeof c.readyValue === 'string' && String(c.readyValue).includes('/metrics')).map((c) => `${c.spec.name} ${c.readyValue}`);
  print(`  metrics     ${[`up ${ops.url}/metrics`, ...metrics, ...kubevirtMetrics.map((t) => `${t.process} https://${t.address}/metrics`)].join(', ')}`);
  print(`  logs        ${logs}/`);
  const promConfig = join(stateDir, 'prometheus.yml');
  writePrometheusConfig(promConfig, [{ process: 'up', address: new URL(ops.url).host }, ...scrapeTargets(sup)], embedded ? String(sup.get('apiserver')?.readyValue ?? '').replace(/^https:\/\//, '') || undefined : undefined, kubevirtMetrics);
  print(`  prometheus  prometheus --config.file=${promConfig}   (dashboards: deploy/dashboards/)`);
  if (opts.traceStore !== false) print(`  traces      ${traces}/ (${traceSample * 100}% of VMIs; virtsim trace --state-dir ${stateDir} NAME)`);
  print(secrets ? `  secrets     ${secrets.dir}/ (NATS token, TLS CA and keys; NATS and gRPC are authenticated)` : '  secrets     none: --insecure, NATS and gRPC are open to anyone on this machine');
  print('  stop        Ctrl-C');
}

/** How `up` starts a virtsim child: the CLI, the environment every child shares, its own log file. */
function childSpec(logs: string, env: Record<string, string>): ChildSpec {
  return (name, args, ready) => ({ name, ...virtsim(args), env, logFile: join(logs, `${name}.log`), ready });
}

/** A child that died because its port is taken, as the one line a user needs. */
function portBusy(err: unknown, what: string, port: number, flag: string): unknown {
  if (err instanceof ChildStartError && err.tail.some((l) => /EADDRINUSE|address already in use/i.test(l))) {
    return new UpError(`port ${port} (${what}) is busy: stop what uses it, or pick another with ${flag} N`);
  }
  return err;
}

/** The status line: redrawn in place on a terminal (every 2 s), a line every 10 s otherwise. */
function refreshStatus(status: StatusLine, print: (line: string) => void, intervalMs?: number): NodeJS.Timeout {
  const tty = process.stdout.isTTY;
  return setInterval(() => {
    void status.render().then((line) => {
      if (tty) process.stdout.write(`\r\x1b[K${line}`);
      else print(line);
    });
  }, intervalMs ?? (tty ? 2000 : 10_000));
}
