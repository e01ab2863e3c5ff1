import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { KubeClient, type KubeObject } from '@virtsim/kube';
import { freePort } from '@virtsim/testkit/ports';
import { waitFor } from '@virtsim/testkit/wait';
import { runVirtsim } from '../up/run-up.ts';

export { freePort };

export const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

export async function list(client: KubeClient, path: string, labelSelector?: string): Promise<KubeObject[]> {
  return (await client.request<{ items: KubeObject[] }>({ method: 'GET', path, query: { labelSelector } })).items;
}

/** A `virtsim up` of `nodes` nodes in `dir` for the enclosing describe block, and a client of it; stopped after the block. */
export function upForSuite(dir: string, nodes: number): { cluster: CliRun & { kubeconfig: string }; client: KubeClient } {
  const up = {} as { cluster: CliRun & { kubeconfig: string }; client: KubeClient };
  beforeAll(async () => {
    up.cluster = await startUp(join(dir, 'state'), nodes);
    up.client = await KubeClient.fromFile(up.cluster.kubeconfig);
  }, 90_000);
  afterAll(async () => {
    up.client?.close();
    up.cluster?.child.kill('SIGTERM');
    await up.cluster?.exited;
  });
  return up;
}

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/virtsim.ts', import.meta.url));


export interface CliRun {
  child: ChildProcess;
  exited: Promise<number | null>;
  out: () => string;
  err: () => string;
}

/** `virtsim <args>` as a user runs it, with its output collected. */
export function virtsim(args: string[]): CliRun {
  return runVirtsim(args[0]!, args.slice(1));
}

/** `virtsim up` in the background; resolves once kubectl could use it. */
export async function startUp(stateDir: string, nodes: number): Promise<CliRun & { kubeconfig: string }> {
  const run = virtsim(['up', '--state-dir', stateDir, '--nodes', String(nodes), '--agents', '2', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
  await waitFor('virtsim up to be ready', () => run.out().includes('stop        Ctrl-C') || run.child.exitCode !== null, { timeoutMs: 60_000 });
  if (run.child.exitCode !== null) throw new Error(`virtsim up exited ${run.child.exitCode}: ${run.err()}`);
  return { ...run, kubeconfig: join(stateDir, 'kubeconfig') };
}

/** Every process a `virtsim up` started, from the pids its children logged. */
/** The run's exit code; a run past `timeoutMs` is killed and its output thrown. */
export async function finish(run: CliRun, timeoutMs = 240_000): Promise<number | null> {
  const code = await Promise.race([run.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref())]);
  if (code === 'timeout') {
    run.child.kill('SIGKILL');
    throw new Error(`loadtest did not finish in ${timeoutMs} ms; stdout:\n${run.out().slice(-3000)}\nstderr:\n${run.err().slice(-3000)}`);
  }
  return code;
}

export function clusterPids(stateDir: string): number[] {
  const pids = new Set<number>();
  const logs = join(stateDir, 'logs');
  if (!existsSync(logs)) return [];
  for (const f of readdirSync(logs)) {
    for (const line of readFileSync(join(logs, f), 'utf8').split('\n')) {
      const pid = Number(/"pid":(\d+)/.exec(line)?.[1] ?? /^\[(\d+)\]/.exec(line)?.[1]);
      if (pid) pids.add(pid);
    }
  }
  return [...pids];
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What the HTML report looks like after a real browser ran its scripts: Debian's chromium, headless. */
export function renderInChromium(htmlFile: string): Promise<string> {
  const bin = process.env.CHROMIUM ?? 'chromium';
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--virtual-time-budget=10000', '--dump-dom', `file://${htmlFile}`],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`${bin} failed: ${err.message}\n${stderr.slice(-2000)}`)) : resolve(stdout)),
    );
  });
}
