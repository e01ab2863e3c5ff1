import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '@virtsim/kube';
import { createLogger } from '@virtsim/telemetry';
import { installCrds, publishStages } from './cluster-setup.ts';
import { FleetSupervisor } from './fleet-supervisor.ts';
import { ChildStartError } from './managed-child.ts';
import { StatusLine } from './status-line.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO, 'packages/cli/bin/virtsim.ts');
export const DEFAULT_CRDS = join(REPO, 'deploy/crds');
export const DEFAULT_STAGES = join(REPO, 'stages');

export interface UpOptions {
  nodes: number;
  agents: number;
  stages: string[];
  stateDir: string;
  /** An existing cluster: no embedded API server, stand-ins off unless controlPlane is true. */
  kubeconfig?: string;
  controlPlane?: boolean;
  apiPort: number;
  /** The embedded API server's --durability (its default, fsync, when unset). */
  durability?: 'fsync' | 'batch' | 'none';
  natsPort: number;
  /** The agents' node Lease duration (their default, the kubelet's 40 s, when unset). */
  leaseDurationSeconds?: number;
  /** Refresh interval of the status line. */
  statusIntervalMs?: number;
}

export interface RunningFleet {
  kubeconfig: string;
  readyMs: number;
  supervisor: FleetSupervisor;
  stop(): Promise<void>;
}

/** A one-line, actionable error (printed without a stack trace). */
export class UpError extends Error {}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, bin);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const virtsim = (args: string[]) => ({ command: process.execPath, args: ['--disable-warning=ExperimentalWarning', CLI, ...args] });

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
  const sup = new FleetSupervisor(log, (msg) => print(`virtsim: ${msg}`));
  const env = { VIRTSIM_PARENT_PID: String(process.pid) };
  const spec = (name: string, args: string[], ready: (line: string, r: Record<string, unknown> | undefined) => unknown) => ({
    name,
    ...virtsim(args),
    env,
    logFile: join(logs, `${name}.log`),
    ready,
  });
  const portBusy = (err: unknown, what: string, port: number, flag: string) => {
    if (err instanceof ChildStartError && err.tail.some((l) => /EADDRINUSE|address already in use/i.test(l))) {
      return new UpError(`port ${port} (${what}) is busy: stop what uses it, or pick another with ${flag} N`);
    }
    return err;
  };

  try {
    const kubeconfig = opts.kubeconfig ? resolve(opts.kubeconfig) : join(stateDir, 'kubeconfig');
    const embedded = !opts.kubeconfig;
    if (!embedded && !existsSync(kubeconfig)) throw new UpError(`kubeconfig ${kubeconfig} does not exist`);
    const natsUrl = `nats://127.0.0.1:${opts.natsPort}`;

    // The API server (then its CRDs and stages) and NATS (then the coordinator) start side by side.
    const apiReady = (async () => {
      if (embedded) {
        try {
          await sup.start(
            spec('apiserver', ['apiserver', '--port', String(opts.apiPort), '--kubeconfig-out', kubeconfig, '--data-dir', join(stateDir, 'data'), ...(opts.durability ? ['--durability', opts.durability] : [])], (_l, r) =>
              r?.msg === 'apiserver listening' ? r.url : undefined,
            ),
          );
        } catch (err) {
          throw portBusy(err, 'API server', opts.apiPort, '--port');
        }
      }
      const client = await KubeClient.fromFile(kubeconfig);
      if (embedded) {
        await installCrds(client, DEFAULT_CRDS);
        await publishStages(client, opts.stages);
      }
      return client;
    })();
    const coordinatorReady = (async () => {
      try {
        // nats-server cannot watch its parent as our children do: where util-linux's setpriv is
        // present, the kernel sends it SIGTERM when `up` dies, even by SIGKILL.
        const setpriv = onPath('setpriv');
        const natsArgs = ['-a', '127.0.0.1', '-p', String(opts.natsPort)];
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
      // Fresh fleet: nobody holds slots, so no settling; a restarted coordinator settles (fencing).
      const c = await sup.start({
        ...spec('coordinator', ['coordinator', '--port', '0', '--metrics-port', '0', '--settle-ms', '0'], (_l, r) => (r?.msg === 'coordinator ready' ? r.grpcPort : undefined)),
      });
      const port = String(c.readyValue);
      // A restart keeps the port the agents know.
      c.spec.restartArgs = virtsim(['coordinator', '--port', port, '--metrics-port', '0']).args;
      return `127.0.0.1:${port}`;
    })();
    const [client, coordinatorAddress] = await Promise.all([apiReady, coordinatorReady]);

    // Embedded: the stages were published as Stage objects, and agents play those, so
    // `kubectl apply` of a Stage changes the fleet's behaviour live. On a real cluster: the files.
    const stageArgs = embedded ? ['--stages-from-cluster'] : opts.stages.flatMap((s) => ['--stages', s]);
    const leaseArgs = opts.leaseDurationSeconds ? ['--lease-duration-seconds', String(opts.leaseDurationSeconds)] : [];
    const wantControlPlane = opts.controlPlane ?? embedded;
    await Promise.all([
      sup.start(spec('watcher', ['watcher', '--kubeconfig', kubeconfig, '--nats', natsUrl, '--identity', 'watcher-0'], (_l, r) => (r?.msg === 'watcher started' ? r.metrics : undefined))),
      ...Array.from({ length: opts.agents }, (_, i) =>
        sup.start(
          spec(`agent-${i}`, ['agent', '--kubeconfig', kubeconfig, '--nats', natsUrl, '--coordinator', coordinatorAddress, '--identity', `agent-${i}`, '--nodes', String(opts.nodes), ...leaseArgs, ...stageArgs], (_l, r) =>
            r?.msg === 'agent started' ? r.metrics : undefined,
          ),
        ),
      ),
      wantControlPlane
        ? sup
            .start(spec('control-plane', ['control-plane', '--kubeconfig', kubeconfig], (_l, r) => (r?.msg === 'control-plane started' ? (r.metrics ?? true) : undefined)))
            .catch((err) => {
              // The fleet is still useful without the stand-ins (VMIs created already scheduled play through).
              print(`virtsim: control-plane stand-ins did not start (${(err as Error).message}); running without them, see ${join(logs, 'control-plane.log')}`);
            })
        : undefined,
    ]);
    const readyMs = Date.now() - started;

    const agentMetrics = () => sup.list().filter((c) => c.spec.name.startsWith('agent-') && typeof c.readyValue === 'string').map((c) => c.readyValue as string);
    print(`virtsim is up in ${(readyMs / 1000).toFixed(1)} s: ${opts.nodes} fake nodes, ${opts.agents} agents${sup.get('control-plane')?.running ? ', control-plane stand-ins' : ''}`);
    print(`  kubeconfig  ${kubeconfig}`);
    print(`  try         export KUBECONFIG=${kubeconfig}; kubectl get nodes`);
    print(`  metrics     ${sup.list().filter((c) => typeof c.readyValue === 'string' && String(c.readyValue).includes('/metrics')).map((c) => `${c.spec.name} ${c.readyValue}`).join(', ')}`);
    print(`  logs        ${logs}/`);
    print('  stop        Ctrl-C');

    const status = new StatusLine(client, log, agentMetrics);
    const tty = process.stdout.isTTY;
    const interval = opts.statusIntervalMs ?? (tty ? 2000 : 10_000);
    const timer = setInterval(() => {
      void status.render().then((line) => {
        if (tty) process.stdout.write(`\r\x1b[K${line}`);
        else print(line);
      });
    }, interval);

    return {
      kubeconfig,
      readyMs,
      supervisor: sup,
      async stop() {
        clearInterval(timer);
        if (tty) process.stdout.write('\n');
        await status.stop();
        client.close();
        await sup.stop();
      },
    };
  } catch (err) {
    await sup.stop();
    throw err;
  }
}
